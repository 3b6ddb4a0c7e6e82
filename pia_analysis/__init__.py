"""pia-analysis: privacy-impact risk analysis of the systems that handle My Numbers (個人番号).

Load a model, then run the analyses on it::

    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> model.summary()["files"]
    3
"""

__all__ = [
    "add_years", "analyse", "Analysis", "apply_changes", "apply_scenario", "assessment_answers",
    "assessment_completeness", "assumed_rows", "attack_graph", "compromise_probability", "control_importance",
    "fix_first", "flow_importance", "from_otm", "from_pytm", "from_threagile", "loss_exceedance",
    "apply_triage", "shown_open", "triage_counts",
    "attack_paths", "open_questions",
    "blast_radius", "BlastRadius", "bundled_model_path", "Changes", "cloud_migration", "cloud_migration_yaml",
    "compare", "Comparison", "coverage_matrix",
    "coverage_pairs", "coverage_tables", "declared_out", "diff", "DifferentAssessmentError", "explore", "find_findings",
    "findings_summary", "findings_to_sarif", "hardening_candidates", "history_coverage", "impact_level",
    "InvalidArgumentError", "key_messages", "likelihood_level", "load_chain", "load_model", "load_scenario",
    "min_cut", "min_cut_flows", "MinCut", "Model", "ModelDiff", "ModelError", "ModelTypeError", "national_model",
    "node_exposure", "parse_scenario", "PiaError", "Problem", "procedure_check", "procedure_rules", "provenance",
    "rating_check", "reachable_holdings", "read_meta", "required_assessment", "review_schedule", "ReviewSchedule",
    "risk_coverage", "risk_level_grid", "risk_level_of", "risk_scales", "row_locations", "row_places", "rules",
    "save_model", "Scenario", "scenario_effects", "bundled_workspace_path", "load_workspace", "shared_use",
    "validate_workspace", "Workspace", "affair_holdings", "city_model", "CityImpact", "cross_affair_exposure",
    "shared_change_impact",
    "city_portfolio", "city_open_findings", "write_city_report",
    "shared_change_impact", "apply_city_scenario", "city_migration", "CityMigration", "write_city_scenario",
    "write_migration",
    "section3_table", "shared_nets", "simulate_compromise", "stage_coverage", "stage_scope", "sub_measure_answers",
    "synthetic_model", "synthetic_cities", "run_cities", "city_summary", "CityRunError",
    "threshold_judgment", "threshold_table", "ThresholdJudgment", "to_otm", "UnknownIdError", "unreachable_pairs",
    "unsourced_rows", "validate", "version_chain", "version_history", "wilson_interval", "with_control_status",
    "with_flow_blocked", "with_planned_implemented", "with_scenario", "write_assessment", "write_otm", "write_report",
    "write_sarif", "write_section3",
    "ReadableTable", "blast_radius_reading", "compromise_reading", "exposure_reading", "fix_first_reading",
    "hardening_reading", "loss_exceedance_reading",
    "overview_reading", "paths_reading", "readable_table", "simulation_reading", "findings_reading", "gaps_reading",
    "procedure_reading", "rating_check_reading", "schedule_reading", "stage_coverage_reading", "threshold_reading",
    "comparison_reading", "history_reading", "system_view_reading", "version_diff_reading",
    "assessment_change_reading", "example_measure",
]

from importlib import import_module

from .util.version import __version__  # noqa: F401  (stated once, in util.version)

# The public names are imported on first use (PEP 562), so that ``import pia_analysis`` (and the console
# script, pia_analysis.entry) does not load pandas: a Ctrl-C in the first second is then caught cleanly.
# Where each public name lives, by module (the analyses first, in the order of the layers).
_PUBLIC: dict[str, tuple[str, ...]] = {
    ".analysis.attack_graph": ("attack_graph", "reachable_holdings", "shared_nets", "unreachable_pairs"),
    ".analysis.exposure": ("BlastRadius", "attack_paths", "blast_radius", "node_exposure"),
    ".analysis.simulation": ("loss_exceedance", "simulate_compromise", "wilson_interval"),
    ".analysis.compromise": ("compromise_probability", "control_importance", "fix_first", "flow_importance"),
    ".analysis.hardening": ("MinCut", "hardening_candidates", "min_cut", "min_cut_flows"),
    ".analysis.coverage": ("coverage_matrix", "coverage_pairs", "coverage_tables", "declared_out", "rating_check",
                           "risk_coverage", "stage_coverage", "stage_scope"),
    ".analysis.findings": ("find_findings", "findings_summary", "impact_level", "likelihood_level",
                           "risk_level_grid", "risk_level_of", "risk_scales", "rules"),
    ".analysis.findings.triage": ("apply_triage", "shown_open", "triage_counts"),
    ".analysis.judgments": ("ReviewSchedule", "ThresholdJudgment", "add_years", "procedure_rules",
                            "required_assessment",
                            "review_schedule", "section3_table", "threshold_judgment", "threshold_table"),
    ".analysis.procedure": ("procedure_check",),
    ".analysis.provenance": ("assumed_rows", "open_questions", "provenance", "unsourced_rows"),
    ".analysis.sub_measures": ("sub_measure_answers",),
    ".analysis.pipeline": ("Analysis", "analyse", "with_planned_implemented"),
    ".whatif.scenario": ("Scenario", "load_scenario", "parse_scenario"),
    ".whatif.apply": ("Changes", "apply_changes", "apply_scenario", "scenario_effects", "with_control_status",
                      "with_flow_blocked", "with_scenario"),
    ".whatif.compare": ("Comparison", "compare"),
    ".whatif.cloud": ("cloud_migration", "cloud_migration_yaml"),
    ".whatif.city": ("CityImpact", "affair_holdings", "city_model", "cross_affair_exposure", "shared_change_impact"),
    ".whatif.portfolio": ("city_open_findings", "city_portfolio"),
    ".outputs.city_briefing": ("write_city_report",),
    ".whatif.migration": ("CityMigration", "apply_city_scenario", "city_migration", "write_city_scenario",
                           "write_migration"),
    ".whatif.versions": ("ModelDiff", "diff", "history_coverage", "version_chain", "version_history"),
    ".outputs.briefing": ("key_messages", "write_report"),
    ".outputs.readings": ("ReadableTable", "blast_radius_reading", "compromise_reading", "exposure_reading",
                          "fix_first_reading", "hardening_reading", "loss_exceedance_reading",
                          "findings_reading", "gaps_reading", "overview_reading", "paths_reading",
                          "procedure_reading", "rating_check_reading", "readable_table", "schedule_reading",
                          "simulation_reading", "stage_coverage_reading", "threshold_reading", "comparison_reading",
                          "history_reading", "system_view_reading", "version_diff_reading",
                          "assessment_change_reading", "example_measure"),
    ".outputs.section3": ("write_section3",),
    ".outputs.assessment_answers": ("assessment_answers", "assessment_completeness"),
    ".outputs.assessment": ("write_assessment",),
    ".outputs.interchange": ("findings_to_sarif", "to_otm", "write_otm", "write_sarif"),
    ".formats": ("bundled_model_path", "load_chain", "load_model", "read_meta", "row_locations", "row_places",
                 "save_model", "validate"),
    ".formats.otm": ("from_otm",),
    ".formats.pytm": ("from_pytm",),
    ".formats.threagile": ("from_threagile",),
    ".formats.workspace": ("Workspace", "bundled_workspace_path", "load_workspace", "shared_use",
                           "validate_workspace"),
    ".model.model": ("Model",),
    ".model.errors": ("DifferentAssessmentError", "ModelError", "ModelTypeError", "Problem", "UnknownIdError"),
    ".util.errors": ("InvalidArgumentError", "PiaError"),
    ".synthetic": ("national_model", "synthetic_cities", "synthetic_model"),
    ".whatif.parallel": ("CityRunError", "city_summary", "run_cities"),
}
_LAZY: dict[str, str] = {name: module for module, names in _PUBLIC.items() for name in names}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def explore(model, **options):
    """The interactive explorer of a model in JupyterLab: :func:`pia_analysis.explorer.explore`.

    Imported on call, so that ``import pia_analysis`` needs neither ipywidgets nor the explorer.

    Parameters
    ----------
    model : Model or str or os.PathLike
        A loaded model, or the path of a model directory or workbook.
    **options
        The keyword options of :func:`pia_analysis.explorer.explore` (``system``, ``lang``, ``k``, …).

    Returns
    -------
    ipywidgets.VBox
        The widget (:class:`pia_analysis.explorer.Explorer` keeps its state); the last expression of a
        notebook cell displays it.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, explore
    >>> explorer = explore(bundled_model_path(), lang="en")
    >>> type(explorer).__name__
    'VBox'
    """
    from .explorer import explore as _explore

    return _explore(model, **options)
