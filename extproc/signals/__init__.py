"""Signals about content that no pattern finds alone: what part of a prompt a
finding came from (``origin``), what an answer's text is (``text``), whether
it has the shape a route expects (``shape``), and what a judge model says
(``judge``). The phrase detectors themselves are in the catalogue
(``extproc.detect.catalogue.signals``)."""
