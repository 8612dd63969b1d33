"""The project's own column types are read from its source by their `impl`, never imported."""

from __future__ import annotations

from migrate_lint.revisions.migration import Call, Ref
from migrate_lint.revisions.typedecorators import impl_of, imported_path


def test_the_import_names_the_path_the_revision_means():
    imports = (("tacker.db", 34, ("~types.Uuid",)), ("shop.models", 35, ("Money",)),
               ("shop.types", 36, ("shop.types.Slug",)))
    assert imported_path(imports, "types.Uuid") == "tacker.db.types.Uuid"
    assert imported_path(imports, "Money") == "shop.models.Money"
    assert imported_path(imports, "shop.types.Slug") == "shop.types.Slug"
    assert imported_path(imports, "sa.String") is None


def test_impl_is_read_from_the_class_and_a_per_database_type_is_left_unknown(tmp_path):
    package = tmp_path / "src" / "shop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "types.py").write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy.types import TypeDecorator, String\n\n"
        "class Uuid(TypeDecorator):\n    impl = String(36)\n    cache_ok = True\n\n"
        "class Body(sa.types.TypeDecorator):\n    impl = sa.Text\n\n"
        "class GUID(TypeDecorator):\n    impl = sa.CHAR\n\n"
        "    def load_dialect_impl(self, dialect):\n        return dialect.type_descriptor(sa.CHAR(32))\n\n"
        "class NotAType:\n    impl = String(10)\n")
    roots = (tmp_path,)
    assert impl_of(roots, "shop.types.Uuid") == Call("String", (36,), {})
    assert impl_of(roots, "shop.types.Body") == Ref("sa.Text")
    assert impl_of(roots, "shop.types.GUID") is None
    assert impl_of(roots, "shop.types.NotAType") is None
    assert impl_of(roots, "shop.missing.Uuid") is None
