import factory

from accounts.models import Role, User
from leads.models import Lead, LeadStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.CUSTOMER
    password = factory.django.Password("pw-for-tests-123")


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER
    company = "Example Co"


class StaffFactory(UserFactory):
    role = Role.STAFF


class AdminFactory(UserFactory):
    role = Role.ADMIN


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Sequence(lambda n: f"Lead {n}")
    email = factory.Sequence(lambda n: f"lead{n}@prospect.test")
    company = "Prospect Inc"
    status = LeadStatus.NEW
