"""billing events: stripe_events (exactly-once webhooks); payments by invoice; subscription sync time

Subscription payments are known by their invoice, so payments.stripe_payment_intent_id
becomes optional and payments.stripe_invoice_id (unique) joins it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:10:06.464844

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=True),
    sa.Column('event_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('object_created', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_object_id'), ['object_id'], unique=False)

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_invoice_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invoice_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('billed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('stripe_payment_intent_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_payments_stripe_invoice_id'), ['stripe_invoice_id'])

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_synced_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('stripe_synced_at')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payments_stripe_invoice_id'), type_='unique')
    # Keep invoice payments through a downgrade: their invoice id stands in for the
    # PaymentIntent id the old schema requires.
    op.execute("UPDATE payments SET stripe_payment_intent_id = stripe_invoice_id WHERE stripe_payment_intent_id IS NULL")
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.alter_column('stripe_payment_intent_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('billed_at')
        batch_op.drop_column('invoice_url')
        batch_op.drop_column('stripe_invoice_id')

    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_object_id'))

    op.drop_table('stripe_events')
