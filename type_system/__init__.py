"""Qflow's type system: canonical type strings (SPEC §2), compatibility verdicts (SPEC §4), custom record
types, and values (validation, conversion, the tagged JSON codec). Pure functions over plain data: no
web, database, Docker or libcst imports."""

from type_system.codec import TAG, CodecError, decode, dumps, encode, loads
from type_system.compat import TypeChecker, Verdict, best, check, checker_for, worst
from type_system.custom import (
    EMPTY_REGISTRY,
    CustomRegistry,
    CustomTypeDef,
    CustomTypeError,
    as_registry,
    custom_def_from_class,
    dump_custom_types,
    is_custom_class,
    load_custom_types,
    registry_from_classes,
    type_from_annotation,
)
from type_system.matrix import (
    BASE_MATRIX,
    BASE_ROWS,
    COMPATIBLE,
    CONVERTIBLE,
    INCOMPATIBLE,
    VERDICTS,
    matrix_from_rows,
    matrix_rows,
)
from type_system.parse import TypeParseError, parse_type
from type_system.types import (
    ANY,
    BOOL,
    BYTES,
    DATE,
    DATETIME,
    DECIMAL,
    FLOAT,
    INT,
    NONE,
    SCALAR_NAMES,
    STR,
    UUID,
    CustomT,
    DictT,
    ListT,
    LiteralT,
    OpaqueT,
    Scalar,
    SetT,
    TupleT,
    Type,
    UnionT,
    format_type,
    literal,
    optional,
    union,
)
from type_system.values import (
    CONVERSIONS,
    ValueValidationError,
    coerce,
    convert,
    is_valid,
    register_conversion,
    type_name,
    type_of_value,
    validate,
)

__all__ = [
    # representation
    "Type", "Scalar", "ListT", "SetT", "TupleT", "DictT", "UnionT", "LiteralT", "CustomT", "OpaqueT",
    "SCALAR_NAMES", "INT", "FLOAT", "BOOL", "STR", "BYTES", "NONE", "ANY", "DATETIME", "DATE", "DECIMAL",
    "UUID", "union", "optional", "literal", "format_type",
    # strings
    "parse_type", "TypeParseError",
    # custom types
    "CustomTypeDef", "CustomRegistry", "CustomTypeError", "EMPTY_REGISTRY", "as_registry",
    "load_custom_types", "dump_custom_types", "registry_from_classes", "custom_def_from_class",
    "is_custom_class", "type_from_annotation",
    # verdicts
    "Verdict", "TypeChecker", "check", "checker_for", "worst", "best",
    "BASE_ROWS", "BASE_MATRIX", "COMPATIBLE", "CONVERTIBLE", "INCOMPATIBLE", "VERDICTS",
    "matrix_rows", "matrix_from_rows",
    # values
    "ValueValidationError", "validate", "is_valid", "convert", "coerce", "type_of_value", "type_name",
    "CONVERSIONS", "register_conversion",
    "TAG", "CodecError", "encode", "decode", "dumps", "loads",
]
