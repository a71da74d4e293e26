#!/usr/bin/env python3
"""Check the format validators against the JSON-Schema-Test-Suite.

Reads the suite's optional format tests (draft2020-12/optional/format/*.json
and draft7/optional/format/*.json, or an older optional/format.json) from
$JSONSCHEMA_SUITE, the first argument, or ../shared/jsonschema-suite beside
the repository; builds src/validate/formats.c into a temporary shared
library with cc; and runs every string test of the formats that
src/validate/formats.h covers through the matching validator.

Prints each disagreement, then "N passed, M failed" (known deliberate
disagreements are listed but not counted as failures).  Exits 0 with a
"skipped" message when the suite or its optional format tests are absent,
1 on an unexpected disagreement.

    python3 test/validate/suite_to_cases.py [SUITE_DIR]
"""

import ctypes
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

EMAIL_QUOTED = 0x1
EMAIL_IP_LITERAL = 0x2
EMAIL_IDN = 0x4
EMAIL_SINGLE_LABEL = 0x8

# JSON Schema format name -> (C function, flags or None for no flags argument)
FORMATS = {
    "email": ("fmt_is_email", EMAIL_QUOTED | EMAIL_IP_LITERAL | EMAIL_SINGLE_LABEL),
    "idn-email": ("fmt_is_email", EMAIL_QUOTED | EMAIL_IP_LITERAL | EMAIL_SINGLE_LABEL | EMAIL_IDN),
    "hostname": ("fmt_is_hostname", 0),
    "host-name": ("fmt_is_hostname", 0),        # draft 3
    "ipv4": ("fmt_is_ipv4", None),
    "ip-address": ("fmt_is_ipv4", None),        # draft 3
    "ipv6": ("fmt_is_ipv6", None),
    "uri": ("fmt_is_uri", None),
    "uri-reference": ("fmt_is_uri_reference", None),
    "uuid": ("fmt_is_uuid", None),
    "date": ("fmt_is_date", None),
    "time": ("fmt_is_time", None),
    "date-time": ("fmt_is_datetime", None),
    "duration": ("fmt_is_duration", None),
    "json-pointer": ("fmt_is_json_pointer", None),
    "relative-json-pointer": ("fmt_is_relative_json_pointer", None),
}


def known_disagreement(fmt, data, draft):
    """The reason we deliberately differ from the suite on this case, or None."""
    if fmt in ("hostname", "host-name") and "xn--" in data.lower():
        return "A-labels are not Punycode-decoded nor checked against IDNA2008"
    if draft in ("draft3", "draft4") and fmt == "uri" and data.startswith("//"):
        return "old suites took a network-path reference for a URI (fixed upstream)"
    if draft == "draft3" and fmt == "time":
        return "draft 3 'time' has no offset; RFC 3339 full-time requires one"
    return None


def find_files(root):
    """(draft, path) for every optional format test file under root."""
    found = []
    for draft in ("draft2020-12", "draft7"):
        for path in sorted(glob.glob(os.path.join(root, draft, "optional", "format", "*.json"))):
            found.append((draft, path))
    if not found:
        # an older layout, or a single draft's directory given directly
        for path in sorted(glob.glob(os.path.join(root, "**", "optional", "format.json"), recursive=True)):
            found.append((os.path.basename(os.path.dirname(os.path.dirname(path))), path))
        for path in sorted(glob.glob(os.path.join(root, "optional", "format", "*.json"))):
            found.append((os.path.basename(os.path.normpath(root)), path))
    return found


def build_library(tmp):
    """Compile formats.c into a shared library and load it."""
    lib = os.path.join(tmp, "libformats.so")
    subprocess.run(
        [os.environ.get("CC", "cc"), "-std=c99", "-O2", "-shared", "-fPIC",
         "-I", os.path.join(REPO, "src", "validate"),
         os.path.join(REPO, "src", "validate", "formats.c"), "-o", lib],
        check=True)
    return ctypes.CDLL(lib)


def main():
    root = (sys.argv[1] if len(sys.argv) > 1 else
            os.environ.get("JSONSCHEMA_SUITE",
                           os.path.normpath(os.path.join(REPO, "..", "shared", "jsonschema-suite"))))
    files = find_files(root)
    if not files:
        print("skipped: no optional format tests under %s" % root)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        lib = build_library(tmp)
        passed = failed = known = 0
        for draft, path in files:
            with open(path, encoding="utf-8") as f:
                groups = json.load(f)
            for group in groups:
                fmt = group.get("schema", {}).get("format")
                if fmt not in FORMATS:
                    continue
                name, flags = FORMATS[fmt]
                fn = getattr(lib, name)
                fn.restype = ctypes.c_bool
                for test in group["tests"]:
                    data = test["data"]
                    if not isinstance(data, str):
                        continue    # formats apply to strings only
                    raw = data.encode("utf-8")
                    if flags is None:
                        got = fn(ctypes.c_char_p(raw), ctypes.c_size_t(len(raw)))
                    else:
                        got = fn(ctypes.c_char_p(raw), ctypes.c_size_t(len(raw)),
                                 ctypes.c_uint(flags))
                    if got == test["valid"]:
                        passed += 1
                        continue
                    reason = known_disagreement(fmt, data, draft)
                    where = "%s %s: %s" % (draft, os.path.basename(path), test["description"])
                    if reason:
                        known += 1
                        print("known  %s %r: suite says %s (%s) [%s]"
                              % (fmt, data, test["valid"], reason, where))
                    else:
                        failed += 1
                        print("FAIL   %s %r: suite says %s, validator %s [%s]"
                              % (fmt, data, test["valid"], got, where))
        print("%d known disagreements" % known)
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
