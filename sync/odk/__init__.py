"""ODK Collect and KoboCollect as field clients (docs/odk-collect.md).

* ``xlsform`` — a template version (and the obstacle taxonomy) as an XLSForm, and an
  XLSForm read back into a template;
* ``xforms`` — the XForm pyxform makes of it, cached, and ODK Validate;
* ``media`` — the per-user files a form uses offline: the units entity list, provinces,
  parks, visits sent back;
* ``submissions`` — an instance XML turned into the same mutations a device pushes;
* ``keys`` — Collect keys (a device's passwordless access) and Collect's settings QR.

Nothing here knows HTTP; ``server/openrosa.py`` speaks OpenRosa over these.
"""
