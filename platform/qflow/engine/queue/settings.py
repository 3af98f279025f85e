"""The engine's settings are fields of the one settings class, `qflow.config.Settings` (environment
variables prefixed QFLOW_, or `.env`); call sites that take "engine settings" fall back to the app's
settings object they were given, never to a second read of the environment."""

from qflow.config import Settings as EngineSettings

__all__ = ["EngineSettings"]
