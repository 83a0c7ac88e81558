"""Strategy log and adaptation records: filtered lists, entry and correction forms."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.security import get_scoped_or_404, roles_required
from implementation_outcomes.implementation.blueprint import VIEW_ROLES, apply_errors, bp
from implementation_outcomes.implementation.forms import StrategyForm, adaptation_form_class
from implementation_outcomes.implementation.models import Adaptation, StrategyUse
from implementation_outcomes.implementation.services import adaptations as adaptation_services
from implementation_outcomes.implementation.services import strategies as services
from implementation_outcomes.implementation.services.common import FieldErrors
from implementation_outcomes.implementation.services.places import place_choices, where_filter_choices


def strategy_filters() -> services.StrategyFilters:
    return services.StrategyFilters(**{k: request.args.get(k, "").strip() for k in ("where", "cluster", "cfir_domain")})


def adaptation_filters() -> adaptation_services.AdaptationFilters:
    keys = ("where", "planned", "fidelity_consistent")
    return adaptation_services.AdaptationFilters(**{k: request.args.get(k, "").strip() for k in keys})


def strategy_table_or_errors(filters):
    try:
        return services.strategy_table(services.list_strategies(filters)), {}
    except FieldErrors as exc:
        return services.strategy_table([]), exc.errors


def adaptation_table_or_errors(filters):
    try:
        return adaptation_services.adaptation_table(adaptation_services.list_adaptations(filters)), {}
    except FieldErrors as exc:
        return adaptation_services.adaptation_table([]), exc.errors


def _offer_places(form, obj) -> None:
    """The agencies/clinics the user may record for; preselect the record's place, or ``?where=`` on a new one."""
    form.where.choices = place_choices()
    if request.method == "GET":
        if obj is not None:
            form.where.data = f"clinic-{obj.clinic_id}" if obj.clinic_id else f"agency-{obj.agency_id}"
        elif request.args.get("where"):
            form.where.data = request.args["where"]


# --- strategies ----------------------------------------------------------------------------------------------------
@bp.route("/strategies")
@roles_required(*VIEW_ROLES)
def strategies():
    filters = strategy_filters()
    table, errors = strategy_table_or_errors(filters)
    return render_template("implementation/strategies.html", table=table, filters=filters, filter_errors=errors,
                           choices=services.filter_choices(), title="Implementation strategies"), (400 if errors else 200)


@bp.route("/strategies/new", methods=["GET", "POST"])
@bp.route("/strategies/<int:strategy_use_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def strategy_edit(strategy_use_id: int | None = None):
    obj = get_scoped_or_404(StrategyUse, strategy_use_id) if strategy_use_id else None
    form = StrategyForm(obj=obj)
    _offer_places(form, obj)
    if form.validate_on_submit():
        try:
            saved = services.save_strategy(obj, form.where.data, form.used_on.data, form.record())
        except FieldErrors as exc:
            apply_errors(form, exc.errors)
        else:
            flash(f"Saved strategy “{saved.name}”.", "success")
            return redirect(url_for(".strategies"))
    status = 400 if request.method == "POST" else 200
    return render_template("implementation/strategy_form.html", form=form, obj=obj,
                           title="Edit strategy use" if obj else "Record a strategy use"), status


@bp.route("/strategies/<int:strategy_use_id>/delete", methods=["POST"])
@roles_required(*VIEW_ROLES)
def strategy_delete(strategy_use_id: int):
    obj = get_scoped_or_404(StrategyUse, strategy_use_id)
    name = obj.name
    services.delete_strategy(obj)
    flash(f"Deleted strategy “{name}”.", "success")
    return redirect(url_for(".strategies"))


# --- adaptations ---------------------------------------------------------------------------------------------------
@bp.route("/adaptations")
@roles_required(*VIEW_ROLES)
def adaptations():
    filters = adaptation_filters()
    table, errors = adaptation_table_or_errors(filters)
    choices = {"where": where_filter_choices(), **adaptation_services.filter_choices()}
    return render_template("implementation/adaptations.html", table=table, filters=filters, filter_errors=errors,
                           choices=choices, title="Adaptations to MIO"), (400 if errors else 200)


@bp.route("/adaptations/new", methods=["GET", "POST"])
@bp.route("/adaptations/<int:adaptation_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def adaptation_edit(adaptation_id: int | None = None):
    obj = get_scoped_or_404(Adaptation, adaptation_id) if adaptation_id else None
    form_class = adaptation_form_class()
    form = form_class(data=({**obj.frame, "occurred_on": obj.occurred_on, "description": obj.description}
                            if obj and request.method == "GET" else None))
    _offer_places(form, obj)
    if form.validate_on_submit():
        try:
            saved = adaptation_services.save_adaptation(obj, form.where.data, form.occurred_on.data,
                                                        form.description.data or "", form.record())
        except FieldErrors as exc:
            apply_errors(form, exc.errors)
        else:
            flash(f"Saved the adaptation of {saved.occurred_on.isoformat()}.", "success")
            return redirect(url_for(".adaptations"))
    status = 400 if request.method == "POST" else 200
    return render_template("implementation/adaptation_form.html", form=form, obj=obj,
                           fields=adaptation_services.frame_fields(), has_other=adaptation_services.has_other,
                           title="Edit adaptation" if obj else "Record an adaptation"), status


@bp.route("/adaptations/<int:adaptation_id>/delete", methods=["POST"])
@roles_required(*VIEW_ROLES)
def adaptation_delete(adaptation_id: int):
    obj = get_scoped_or_404(Adaptation, adaptation_id)
    adaptation_services.delete_adaptation(obj)
    flash("Deleted the adaptation.", "success")
    return redirect(url_for(".adaptations"))
