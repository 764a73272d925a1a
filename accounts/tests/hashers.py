"""Real password hashers that also count their work, so a test can show that a refused
sign-in never reached the password hash (nothing of ours is replaced)."""

from django.contrib.auth.hashers import Argon2PasswordHasher, MD5PasswordHasher

calls: list[str] = []


class CountingArgon2PasswordHasher(Argon2PasswordHasher):
    def encode(self, password, salt):
        calls.append("argon2.encode")
        return super().encode(password, salt)

    def verify(self, password, encoded):
        calls.append("argon2.verify")
        return super().verify(password, encoded)


class CountingMD5PasswordHasher(MD5PasswordHasher):
    """For the personas, whose passwords the test factories store as MD5."""

    def encode(self, password, salt):
        calls.append("md5.encode")
        return super().encode(password, salt)

    def verify(self, password, encoded):
        calls.append("md5.verify")
        return super().verify(password, encoded)
