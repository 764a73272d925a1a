from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from designpi.validators import reject_control_characters


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer"


TEAM_ROLES = (Role.ADMIN, Role.STAFF)
CAPACITY_MAX = 1000  # a User.capacity above this is a typo, not a plan


class UserQuerySet(models.QuerySet):
    def team(self):
        """Active admins and staff: the people a conversation can be assigned to."""
        return self.filter(role__in=TEAM_ROLES, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        # The whole address is compared case-insensitively, so store it lower-cased.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(email__iexact=self.normalize_email(username))

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        fields.setdefault("role", Role.CUSTOMER)
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields["role"] = Role.ADMIN
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person who signs in: an admin, a staff member or a customer."""

    email = models.EmailField("email", unique=True, max_length=254)
    name = models.CharField(max_length=150, blank=True, validators=[reject_control_characters])
    phone = models.CharField(max_length=32, blank=True, validators=[reject_control_characters])
    company = models.CharField(max_length=150, blank=True, validators=[reject_control_characters])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The person's IANA time zone ("Europe/Paris"), for the times the server writes for
    # them (emails, snooze presets); "" until known. Pages show the browser's own zone.
    time_zone = models.CharField(max_length=64, blank=True, default="")
    # Which emails they get (the preferences page; one-click unsubscribe turns one off).
    # Team: a conversation was assigned to them. Everyone: unread messages from the other
    # side of a conversation (participant messages for the team, replies for a customer).
    notify_assigned = models.BooleanField("email me when a conversation is assigned to me", default=True)
    notify_messages = models.BooleanField("email me about unread messages", default=True)
    # Team: someone @mentioned them in an internal note (issue 14).
    notify_mentions = models.BooleanField("email me when a teammate mentions me in a note", default=True)
    # Automatic assignment (conversations.assignment): a team member receives
    # conversations only while available (their own switch in the staff header; off for
    # everyone until they turn it on) and while they have fewer than `capacity` OPEN
    # conversations assigned (set by admins on the Assignment page).
    available = models.BooleanField("available for automatic assignment", default=False)
    capacity = models.PositiveSmallIntegerField(
        "most open conversations at once", default=10,
        validators=[MinValueValidator(1), MaxValueValidator(CAPACITY_MAX)],
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active_idx")]
        constraints = [
            # One account per address, whatever the spelling. With `unique=True` this holds
            # on both databases: SQLite compares case-sensitively, so only lower case may be
            # stored; MariaDB's case-insensitive collation already makes the unique index
            # refuse a second spelling. (A unique index on Lower("email") would be the obvious
            # way, but MySQL/MariaDB have no expression indexes: Django skips it there, W043.)
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="user_capacity_positive"),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="user_email_lower_case",
                violation_error_message="Email addresses are stored in lower case.",
            ),
        ]

    def __str__(self):
        return self.display_name

    def clean(self):
        # Every form (the data admin's people pages too) stores the address the way the
        # manager does; otherwise a capital letter would fail the constraint above.
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def mention_handle(self) -> str:
        """What a teammate types after @ in a note to mention this person: the part of
        their email before the @, lower case (sarah@designpi.com is @sarah). Stable while
        the email is; names change and repeat, addresses are unique."""
        return self.email.split("@", 1)[0].lower()

    @property
    def invitation_pending(self) -> bool:
        """Invited and not yet accepted: active, and no password set (accounts.services.user_invite)."""
        return self.is_active and not self.has_usable_password()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_team(self) -> bool:
        return self.role in TEAM_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    # Django's admin site is for admins only (SPEC §2); it reads these three.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_admin

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_active and self.is_admin

    def has_module_perms(self, app_label) -> bool:
        return self.is_active and self.is_admin

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name


class SignInFailure(models.Model):
    """One credential check that did not succeed, for the ceilings per account and per
    client network (accounts/signin_guard.py). A row is written before the password is
    checked and deleted again if the check succeeds, so parallel attempts cannot all
    slip under a ceiling; rows older than the windows are removed by
    `manage.py signin_cleanup`."""

    # The sign-in name as typed and normalised ("" when none was given): unknown
    # accounts are counted exactly like real ones.
    account = models.CharField(max_length=254, blank=True)
    # IPv4: the address; IPv6: its /64 ("2001:db8:1:2::/64").
    network = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "at"], name="signinfailure_account_at_idx"),
            models.Index(fields=["network", "at"], name="signinfailure_network_at_idx"),
            models.Index(fields=["at"], name="signinfailure_at_idx"),
        ]

    def __str__(self):
        return f"sign-in failure {self.account or '-'} from {self.network} at {self.at:%Y-%m-%d %H:%M:%S}"


class AccountEmailKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    PASSWORD_RESET = "password_reset", "Password reset"
    # To a website visitor (a lead, no account): a link to continue their conversation on
    # another device (issue 12; leads/visitor.py).
    VISITOR_LINK = "visitor_link", "Visitor continue link"


class AccountEmailState(models.TextChoices):
    QUEUED = "queued", "Queued"  # waiting for a worker (after an error: for next_attempt_at)
    SENDING = "sending", "Sending"  # claimed by a worker at claimed_at
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"  # not needed any more: `reason` says why
    FAILED = "failed", "Failed"  # the mail server refused it every time


class AccountEmail(models.Model):
    """An account email the app decided to send: an invitation or a password reset.

    The row is written in the request's transaction and the task carries only its id, so
    a doubled task finds it claimed or sent and sends nothing; a mail server error puts
    it back to wait and the task runs again later (accounts.tasks). Its link is made by
    the worker when it sends: no token is stored anywhere."""

    Kind = AccountEmailKind
    State = AccountEmailState

    # The account it is for; none for a visitor's continue link, which goes to the lead
    # of ``visitor_pass``'s conversation (exactly one of the two: the check below).
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="account_emails")
    visitor_pass = models.ForeignKey("leads.VisitorPass", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="emails")
    kind = models.CharField(max_length=32, choices=AccountEmailKind.choices)
    state = models.CharField(max_length=16, choices=AccountEmailState.choices, default=AccountEmailState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "kind", "-id"], name="accountemail_user_kind_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=AccountEmailKind.values),
                                   name="accountemail_kind_valid"),
            models.CheckConstraint(condition=models.Q(state__in=AccountEmailState.values),
                                   name="accountemail_state_valid"),
            models.CheckConstraint(
                condition=(models.Q(kind=AccountEmailKind.VISITOR_LINK, user__isnull=True, visitor_pass__isnull=False)
                           | (~models.Q(kind=AccountEmailKind.VISITOR_LINK)
                              & models.Q(user__isnull=False, visitor_pass__isnull=True))),
                name="accountemail_one_recipient",
            ),
        ]

    def __str__(self):
        if self.visitor_pass_id:
            return f"{self.kind} for visitor pass {self.visitor_pass_id} ({self.state})"
        return f"{self.kind} to user {self.user_id} ({self.state})"
