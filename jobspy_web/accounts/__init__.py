"""People and their access: sign-up, sign-in, email links and roles (`users`), passwords
(`passwords`), browser sessions (`login_sessions`), GitHub/Google sign-in (`oauth_login`),
personal API tokens and the JWTs they buy (`api_tokens`, `jwt_tokens`), the tier a user acts
with (`entitlements`), and export/delete of a person's data across domains (`erasure`).

Accounts sits above billing and licensing (it reads paid tiers, cancels and revokes on
erasure); neither of them imports it."""

__all__ = ["api_tokens", "entitlements", "erasure", "jwt_tokens", "login_sessions", "oauth_login", "passwords", "users"]
