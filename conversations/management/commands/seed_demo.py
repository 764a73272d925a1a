from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from conversations.demo import load_demo_fixture, seed_demo, seed_scale


class Command(BaseCommand):
    help = "Load the demo people, leads and conversations (fixtures/demo.json). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, metavar="N",
                            help="also add N generated customers, each with a conversation, messages and a ticket")
        parser.add_argument("--messages", type=int, default=10, metavar="M",
                            help="messages per generated conversation (with --scale; default 10)")
        parser.add_argument("--force", action="store_true",
                            help="run even with DEBUG off (the demo passwords are public!)")

    def handle(self, *args, scale, messages, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: the demo passwords are public. "
                "Use --force if this really is a throwaway database."
            )
        if scale < 0 or messages < 1:
            raise CommandError("--scale must be 0 or more and --messages at least 1.")

        data = load_demo_fixture()
        report = seed_demo(data)
        self.stdout.write(
            f"Demo data: {len(report.users_created)} users, {len(report.leads_created)} leads, "
            f"{report.conversations_created} conversations, {report.messages_created} messages and "
            f"{report.canned_replies_created} canned replies created "
            "(what already existed was left as it was)."
        )
        if scale:
            with tqdm(total=scale, unit="conv", desc="Generating", disable=None, file=self.stderr._out) as bar:
                seed_scale(scale, messages_per_conversation=messages, progress=bar.update)
            self.stdout.write(f"Generated {scale} customers with a conversation of {messages} messages each.")

        self.stdout.write("\nDemo logins (password in brackets):")
        for user in data["users"]:
            self.stdout.write(f"  {user['role']:<9} {user['email']:<26} ({user['password']})")
