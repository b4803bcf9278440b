"""Entry points and wiring: command line, settings, the Application, the demo."""
