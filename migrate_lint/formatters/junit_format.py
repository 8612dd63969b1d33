"""JUnit XML: one test case per checked file that has findings or errors, one failure per finding,
so CI systems that read test reports show them (GitLab, Jenkins, Azure)."""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree

from migrate_lint.finding import Finding, InputError, Report, display_path

# Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF): one of them in a
# message from a checked file made the whole report unreadable to every CI system.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: ascii(m.group())[1:-1], text)


def render(report: Report) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[display_path(finding.location.path)].append(finding)
    errors: dict[str, list[InputError]] = defaultdict(list)
    for error in report.errors:
        errors[display_path(error.path) if error.path else "migrate-lint"].append(error)
    counts = {"tests": str(max(1, len(by_file.keys() | errors.keys()))),
              "failures": str(len(report.findings)), "errors": str(len(report.errors))}
    suites = ElementTree.Element("testsuites", {"name": "migrate-lint", **counts})
    suite = ElementTree.SubElement(suites, "testsuite", {"name": "migrate-lint", **counts})
    for path in sorted(by_file.keys() | errors.keys()):
        case = ElementTree.SubElement(suite, "testcase", classname="migrate-lint", name=path, file=path)
        for finding in by_file.get(path, ()):
            failure = ElementTree.SubElement(case, "failure", type=finding.code,
                                             message=f"{finding.code} {finding.message}")
            failure.text = (f"{path}:{finding.location.line}:{finding.location.column}: {finding.code} "
                            f"[{finding.severity.label}] {finding.message}\n{finding.help}")
        for error in errors.get(path, ()):
            element = ElementTree.SubElement(case, "error", type="input-error", message=error.message)
            element.text = error.describe()
    if not by_file and not errors:  # a clean run is one passing test, not an empty report
        ElementTree.SubElement(suite, "testcase", classname="migrate-lint", name="revisions")
    for element in suites.iter():  # every value, whichever attribute or text it landed in
        element.attrib = {key: _xml(value) for key, value in element.attrib.items()}
        if element.text:
            element.text = _xml(element.text)
    ElementTree.indent(suites)
    text = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"
