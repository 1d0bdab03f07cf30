"""What notifications say: pure functions, no database."""

from __future__ import annotations

import pytest

from causeway_notifications import messages


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(720, "USD", "7.20 USD"), (5, "EUR", "0.05 EUR"), (1234, "JPY", "1234 JPY"), (1234, "KWD", "1.234 KWD")],
)
def test_format_money(amount, currency, text):
    assert messages.format_money(amount, currency) == text


def test_welcome_names_the_customer():
    message = messages.welcome(name="Dana", email="dana@example.com")
    assert message.kind == "welcome" and "Dana" in message.body and "dana@example.com" in message.body


def test_order_messages():
    confirmed = messages.order_confirmed(name=None, order_id="abcdef123456", total=2160, currency="USD")
    assert confirmed.kind == "order-confirmed" and "21.60 USD" in confirmed.body
    assert confirmed.subject == "Order abcdef12 confirmed" and confirmed.body.startswith("Hello,")
    cancelled = messages.order_cancelled(name="Bob", order_id="o1", reason="insufficient_funds")
    assert cancelled.kind == "order-cancelled" and "insufficient_funds" in cancelled.body


def test_upgrade_messages():
    upgraded = messages.subscription_upgraded(name="Bob", plan="pro")
    assert upgraded.kind == "subscription-upgraded" and "pro" in upgraded.subject
    failed = messages.subscription_upgrade_failed(
        name="Bob", plan="free", requested_plan="pro", reason="insufficient_funds"
    )
    assert failed.kind == "subscription-upgrade-failed"
    assert "insufficient_funds" in failed.body and "stay on the free plan" in failed.body


def test_an_unknown_reason_is_shown_as_is():
    assert messages.explain("card_expired") == "card_expired"
