"""JUnit XML: one test case per checked file that has findings or errors, one failure per finding,
so CI systems that read test reports show them (GitLab, Jenkins, Azure)."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree

from migrate_lint.finding import Finding, InputError, Report, display_path


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
    ElementTree.indent(suites)
    text = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"
