"""The fault scenarios' shared checks report like test assertions (values shown on failure)."""

import pytest

pytest.register_assert_rewrite("tests.faults.scenarios")
