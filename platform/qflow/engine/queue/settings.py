"""The engine's settings are fields of the one settings class, `qflow.config.Settings` (environment
variables prefixed QFLOW_, or `.env`); these names keep the engine's call sites short."""

from qflow.config import Settings as EngineSettings
from qflow.config import get_settings as engine_settings

__all__ = ["EngineSettings", "engine_settings"]
