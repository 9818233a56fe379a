"""YAML -> strict model -> compiled, frozen policy; ``decide(findings)`` -> actions (pure)."""
