"""The checks. Each is a function ``check(ctx) -> details`` that raises CheckFailed with the
problems it found, or SkipCheck with the reason it cannot run here."""
