"""Detection, pure and policy-free: text in, findings out.

The pipeline of one text: normalisation (``normalize``) -> the gate, one RE2
pass over every detector's necessary condition (``gate.Gate``) -> keyword
windows from one Aho-Corasick automaton and a shared pre-filter (``prepass``)
-> each detector's regex (``regex``, the engine seam) -> validators and
context (``validators``, ``scanner``) -> decoded layers (``decode``) ->
non-overlapping findings (``scanner``). The detectors are data (``catalogue``).
"""
