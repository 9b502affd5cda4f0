# SPDX-License-Identifier: LGPL-2.1-or-later
"""libiommufd's trace-events generator (see scripts/tracetool.py)."""
