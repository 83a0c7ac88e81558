"""Admin pages: agencies, clinics, users, person records, and the audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app import paging
from app.admin import services
from app.admin.forms import AgencyForm, ClinicForm, ConfirmForm, PersonForm, ResetPasswordForm, UserForm
from app.admin.services import DeleteRefused
from app.audit_views import register_audit_routes
from app.db import db
from app.forms import FormRefused, edit_page
from app.models import Agency, Clinic, Person, Role, User
from app.security import get_scoped_or_404, hash_password, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
ORG_ROLES = (Role.ADMIN, Role.DIRECTOR)
PEOPLE_ROLES = (Role.ADMIN, Role.DIRECTOR, Role.AGENCY_STAFF)
PEOPLE_PER_PAGE = 50
#: the list page's query string, kept by a delete so the user returns to the page they were on
PEOPLE_LIST_ARGS = ("agency", "clinic", "kind", "active", "q", "page")


def _agency_choices(blank: bool = False):
    choices = [(a.id, f"{a.code} — {a.name}") for a in services.agencies()]
    return ([(0, "— none —")] if blank else []) + choices


def _clinic_choices():
    return [(c.id, f"{c.code} — {c.name}") for c in services.clinics()]


def _form_data(form, fields) -> dict:
    return {f: (getattr(form, f).data.strip() if isinstance(getattr(form, f).data, str) else getattr(form, f).data) for f in fields}


def _edit(form, obj, fields, unique, template, title, back):
    """Create/edit an organisation record (``app.forms.edit_page``), refusing values of ``unique`` columns another
    record already uses."""

    def save():
        data = _form_data(form, fields)
        if conflicts := {column: f"Another record already uses “{data[column]}”." for column in unique
                         if services.unique_conflict(type(obj), column, data[column], obj.id)}:
            raise FormRefused(conflicts)
        services.save(obj, data)
        return f"Saved {obj}.", url_for(back)

    return edit_page(form, save, template, title=title, obj=obj, back=back)


def _delete(obj, back, **back_args):
    """Delete after the confirm form, then back to the list (``back_args``: the list's page and filters)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.delete(obj)
        flash(f"Deleted {obj}.", "success")
    except DeleteRefused as exc:
        flash(str(exc), "error")
    return redirect(url_for(back, **back_args))


# --- agencies -------------------------------------------------------------------------------------------------
@bp.route("/agencies")
@roles_required(*ORG_ROLES)
def agencies():
    return render_template("admin/agencies.html", agencies=services.agencies(), confirm=ConfirmForm())


@bp.route("/agencies/new", methods=["GET", "POST"])
@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def agency_edit(agency_id: int | None = None):
    obj = get_scoped_or_404(Agency, agency_id) if agency_id else Agency()
    form = AgencyForm(obj=obj if agency_id else None)
    fields = ("name", "code", "city", "state", "active")
    return _edit(form, obj, fields, ("name", "code"), "admin/form.html", "Agency", "admin.agencies")


@bp.route("/agencies/<int:agency_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def agency_delete(agency_id: int):
    return _delete(get_scoped_or_404(Agency, agency_id), "admin.agencies")


# --- clinics --------------------------------------------------------------------------------------------------
@bp.route("/clinics")
@roles_required(*ORG_ROLES)
def clinics():
    return render_template("admin/clinics.html", clinics=services.clinics(), confirm=ConfirmForm())


@bp.route("/clinics/new", methods=["GET", "POST"])
@bp.route("/clinics/<int:clinic_id>/edit", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def clinic_edit(clinic_id: int | None = None):
    obj = get_scoped_or_404(Clinic, clinic_id) if clinic_id else Clinic()
    form = ClinicForm(obj=obj if clinic_id else None)
    form.agency_id.choices = _agency_choices()
    fields = ("agency_id", "name", "code", "city", "setting", "taking_part", "active")
    return _edit(form, obj, fields, ("code",), "admin/form.html", "Clinic", "admin.clinics")


@bp.route("/clinics/<int:clinic_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def clinic_delete(clinic_id: int):
    return _delete(get_scoped_or_404(Clinic, clinic_id), "admin.clinics")


# --- people (counselors, supervisors: person records) ---------------------------------------------------------
@bp.route("/people")
@roles_required(*PEOPLE_ROLES)
def people():
    """Person records, 50 a page, filtered by agency (for those who see several), clinic, kind, active and name;
    agencies and clinics are chosen by code among those the user may see (``app.paging``)."""
    args = request.args
    org = paging.organisation(args)
    kind = paging.choice(args, "kind", {k: k for k in Person.KINDS})
    active = paging.choice(args, "active", {"yes": True, "no": False})
    name = paging.text_arg(args, "q")
    rows = paging.paginate(services.people_query(org.agency, org.clinic, kind, active, name),
                           paging.page_number(args), PEOPLE_PER_PAGE)
    filters = {**org.shown, "kind": kind or "", "active": {True: "yes", False: "no"}.get(active, ""), "q": name}
    return render_template("admin/people.html", people=rows, confirm=ConfirmForm(), org=org, filters=filters,
                           args=paging.query_args(filters), kinds=Person.KINDS)


@bp.route("/people/new", methods=["GET", "POST"])
@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@roles_required(*PEOPLE_ROLES)
def person_edit(person_id: int | None = None):
    obj = get_scoped_or_404(Person, person_id) if person_id else Person()
    form = PersonForm(obj=obj if person_id else None)
    form.clinic_id.choices = _clinic_choices()  # scoped: agency staff can only pick their own clinics
    fields = ("clinic_id", "kind", "display_name", "email", "phone", "active")
    return _edit(form, obj, fields, (), "admin/form.html", "Person", "admin.people")


@bp.route("/people/<int:person_id>/delete", methods=["POST"])
@roles_required(*PEOPLE_ROLES)
def person_delete(person_id: int):
    kept = {key: value for key, value in request.args.items() if key in PEOPLE_LIST_ARGS}
    return _delete(get_scoped_or_404(Person, person_id), "admin.people", **kept)


# --- user accounts (admins only) ------------------------------------------------------------------------------
@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=services.users(), confirm=ConfirmForm(),
                           sessions=services.live_session_counts())


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int | None = None):
    obj = db.get_or_404(User, user_id) if user_id else User()
    form = UserForm(obj=obj if user_id else None)
    form.agency_id.choices = _agency_choices(blank=True)
    if request.method == "GET" and obj.agency_id is None:
        form.agency_id.data = 0

    def save():
        data = _form_data(form, ("email", "name", "role", "agency_id", "active"))
        data["email"] = data["email"].lower()
        data["agency_id"] = data["agency_id"] or None
        if services.unique_conflict(User, "email", data["email"], obj.id):
            raise FormRefused({"email": f"Another account already uses “{data['email']}”."})
        if obj.id is not None:
            services.save_user(obj, data)
            return f"Saved {obj}.", url_for("admin.users")
        temporary = services.temporary_password()
        data.update(password_hash=hash_password(temporary), must_change_password=True)
        services.save_user(obj, data)
        return _one_time_password_page(obj, temporary, created=True)

    return edit_page(form, save, "admin/form.html", title="User", obj=obj, back="admin.users")


def _one_time_password_page(user: User, temporary: str, created: bool = False, ended: int = 0,
                            revoked: int | None = None):
    """The one-time password is shown on this page only, sent once in the response body (never in the flash
    cookie) with ``Cache-Control: no-store`` (``app.security.set_security_headers``); reloading it does not show it again."""
    return make_response(render_template("admin/one_time_password.html", user=user, temporary=temporary,
                                         created=created, ended=ended, revoked=revoked))


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_reset_password(user_id: int):
    """Reset a password: the user's sessions end and their API tokens are revoked unless the admin keeps them."""
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        temporary, ended, revoked = services.reset_password(user, keep_api_tokens=form.keep_api_tokens.data)
        return _one_time_password_page(user, temporary, ended=ended,
                                       revoked=None if form.keep_api_tokens.data else revoked)
    return render_template("admin/reset_password.html", form=form, user=user,
                           tokens=services.active_api_tokens(user)), 400 if request.method == "POST" else 200


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@roles_required(Role.ADMIN)
def user_end_sessions(user_id: int):
    """Sign a user out on every device, without touching the password or the API tokens."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = services.end_sessions(user)
    flash(f"Signed {user.email} out everywhere ({ended} session{'s' if ended != 1 else ''} ended).", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def user_delete(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash("You cannot delete your own account.", "error")
        return redirect(url_for("admin.users"))
    return _delete(user, "admin.users")


register_audit_routes(bp)
