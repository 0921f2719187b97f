"""Builders for each resource, with the same top-level fields as Stripe's published examples."""
from __future__ import annotations

from typing import Any

from .store import new_id, random_token

API_VERSION = "2026-10-28.endive"

_NULL_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def address() -> dict[str, Any]:
    return dict(_NULL_ADDRESS)


def product(created: int, name: str, *, description: str | None = None, active: bool = True,
            metadata: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": new_id("prod_"), "object": "product", "active": active, "created": created,
        "default_price": None, "description": description, "images": [], "livemode": False,
        "marketing_features": [], "metadata": metadata or {}, "name": name, "package_dimensions": None,
        "shippable": None, "statement_descriptor": None, "tax_code": None, "type": "service",
        "unit_label": None, "updated": created, "url": None,
    }


def price(created: int, product_id: str, currency: str, unit_amount: int, *, active: bool = True,
          nickname: str | None = None, lookup_key: str | None = None,
          metadata: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": new_id("price_"), "object": "price", "active": active, "billing_scheme": "per_unit",
        "created": created, "currency": currency, "custom_unit_amount": None, "livemode": False,
        "lookup_key": lookup_key, "metadata": metadata or {}, "nickname": nickname, "product": product_id,
        "recurring": None, "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
        "type": "one_time", "unit_amount": unit_amount, "unit_amount_decimal": str(unit_amount),
    }


def line_item(price_obj: dict[str, Any], quantity: int, description: str) -> dict[str, Any]:
    total = price_obj["unit_amount"] * quantity
    return {
        "id": new_id("li_"), "object": "item", "amount_discount": 0, "amount_subtotal": total,
        "amount_tax": 0, "amount_total": total, "currency": price_obj["currency"],
        "description": description, "metadata": {}, "price": price_obj, "quantity": quantity,
        "adjustable_quantity": None,
    }


def payment_link(url_base: str, line_items: list[dict[str, Any]], *, metadata: dict[str, str],
                 pi_metadata: dict[str, str], pi_description: str | None, limit: int | None,
                 payment_method_types: list[str] | None, inactive_message: str | None,
                 after_completion: dict[str, Any] | None) -> dict[str, Any]:
    ident = new_id("plink_")
    return {
        "id": ident, "object": "payment_link", "active": True,
        "after_completion": after_completion or {"hosted_confirmation": {"custom_message": None}, "type": "hosted_confirmation"},
        "allow_promotion_codes": False, "application": None, "application_fee_amount": None,
        "application_fee_percent": None, "automatic_tax": {"enabled": False, "liability": None},
        "billing_address_collection": "auto",
        "consent_collection": None, "currency": line_items[0]["currency"], "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None},
        "customer_creation": "if_required", "inactive_message": inactive_message,
        "invoice_creation": {"enabled": False, "invoice_data": {"account_tax_ids": None, "custom_fields": None,
                             "description": None, "footer": None, "issuer": None, "metadata": {},
                             "rendering_options": None}},
        "livemode": False, "managed_payments": None, "metadata": metadata, "on_behalf_of": None,
        "payment_intent_data": {"capture_method": None, "description": pi_description, "metadata": pi_metadata,
                                "setup_future_usage": None, "statement_descriptor": None,
                                "statement_descriptor_suffix": None, "transfer_group": None},
        "payment_method_collection": "always", "payment_method_options": None,
        "payment_method_types": payment_method_types,
        "phone_number_collection": {"enabled": False},
        "restrictions": None if limit is None else {"completed_sessions": {"count": 0, "limit": limit}},
        "shipping_address_collection": None, "shipping_options": [], "submit_type": "auto",
        "subscription_data": None, "tax_id_collection": {"enabled": False, "required": "never"},
        "transfer_data": None, "url": f"{url_base}/pay/{ident}",
        "_line_items": line_items,
    }


def checkout_session(created: int, link: dict[str, Any], *, payment_intent: str, method: str, email: str | None,
                     client_reference_id: str | None) -> dict[str, Any]:
    amount = sum(li["amount_total"] for li in link["_line_items"])
    return {
        "id": new_id("cs_test_"), "object": "checkout.session", "adaptive_pricing": {"enabled": False},
        "after_expiration": None, "allow_promotion_codes": False, "amount_subtotal": amount,
        "amount_total": amount, "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": "auto", "cancel_url": None, "client_reference_id": client_reference_id,
        "client_secret": None, "collected_information": {"business_name": None, "individual_name": None, "shipping_details": None},
        "consent": None, "consent_collection": None, "created": created, "currency": link["currency"],
        "currency_conversion": None, "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None},
        "customer": None, "customer_account": None, "customer_creation": "if_required",
        "customer_details": {"address": address(), "business_name": None, "email": email, "individual_name": None,
                             "name": None, "phone": None, "tax_exempt": "none", "tax_ids": []},
        "customer_email": None, "discounts": [], "expires_at": created + 86400, "integration_identifier": None,
        "invoice": None, "invoice_creation": {"enabled": False, "invoice_data": {"account_tax_ids": None,
                      "custom_fields": None, "description": None, "footer": None, "issuer": None,
                      "metadata": {}, "rendering_options": None}},
        "livemode": False, "locale": "auto", "managed_payments": None, "metadata": dict(link["metadata"]),
        "mode": "payment", "origin_context": None, "payment_intent": payment_intent, "payment_link": link["id"],
        "payment_method_collection": "if_required", "payment_method_configuration_details": None,
        "payment_method_options": {}, "payment_method_types": [method], "payment_status": "unpaid",
        "permissions": None, "phone_number_collection": {"enabled": False}, "recovered_from": None,
        "saved_payment_method_options": None, "setup_intent": None, "shipping_address_collection": None,
        "shipping_cost": None, "shipping_options": [], "status": "open", "submit_type": "auto",
        "subscription": None, "success_url": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted", "url": None, "wallet_options": None,
        "_line_items": link["_line_items"],
    }


def customer(created: int, *, email: str | None, name: str | None, description: str | None,
             phone: str | None, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "id": new_id("cus_"), "object": "customer", "address": None, "balance": 0, "created": created,
        "currency": None, "default_source": None, "delinquent": False, "description": description,
        "discount": None, "email": email, "invoice_prefix": random_token(8).upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False, "metadata": metadata, "name": name, "next_invoice_sequence": 1, "phone": phone,
        "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None,
    }


def payment_intent(created: int, amount: int, currency: str, *, payment_method_types: list[str],
                   metadata: dict[str, str], customer: str | None, description: str | None,
                   receipt_email: str | None) -> dict[str, Any]:
    ident = new_id("pi_")
    return {
        "id": ident, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
        "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
        "cancellation_reason": None, "capture_method": "automatic",
        "client_secret": f"{ident}_secret_{random_token(25)}", "confirmation_method": "automatic",
        "created": created, "currency": currency, "customer": customer, "customer_account": None,
        "description": description, "excluded_payment_method_types": None, "last_payment_error": None,
        "latest_charge": None, "livemode": False, "managed_payments": None, "metadata": metadata,
        "next_action": None, "on_behalf_of": None, "payment_method": None,
        "payment_method_configuration_details": None, "payment_method_options": {},
        "payment_method_types": payment_method_types, "processing": None, "receipt_email": receipt_email,
        "review": None, "setup_future_usage": None, "shipping": None, "source": None,
        "statement_descriptor": None, "statement_descriptor_suffix": None,
        "status": "requires_payment_method", "transfer_data": None, "transfer_group": None,
    }


def payment_method_details(method: str, card_brand: str = "visa", last4: str = "4242") -> dict[str, Any]:
    if method == "us_bank_account":
        return {"type": "us_bank_account", "us_bank_account": {
            "account_holder_type": "individual", "account_type": "checking", "bank_name": "STRIPE TEST BANK",
            "fingerprint": random_token(16), "last4": "6789", "mandate": None, "payment_reference": None,
            "routing_number": "110000000"}}
    return {"type": "card", "card": {
        "amount_authorized": None, "authorization_code": None, "brand": card_brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": "US", "exp_month": 12, "exp_year": 2034, "extended_authorization": None,
        "fingerprint": random_token(16), "funding": "credit", "incremental_authorization": None,
        "installments": None, "last4": last4, "mandate": None, "multicapture": None, "network": card_brand,
        "network_token": {"used": False}, "network_transaction_id": None, "overcapture": None,
        "regulated_status": "unregulated", "three_d_secure": None, "wallet": None}}


def charge(created: int, pi: dict[str, Any], *, method: str, payment_method: str, status: str,
           email: str | None, failure: tuple[str, str] | None = None, card_brand: str = "visa",
           last4: str = "4242") -> dict[str, Any]:
    ident = new_id("ch_")
    ok = status == "succeeded"
    outcome = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
               "network_status": "approved_by_network" if status != "failed" else "declined_by_network",
               "reason": None if status != "failed" else "generic_decline", "risk_level": "normal",
               "seller_message": "Payment complete." if status != "failed" else "The bank did not return any further details with this decline.",
               "type": "authorized" if status != "failed" else "issuer_declined"}
    return {
        "id": ident, "object": "charge", "amount": pi["amount"], "amount_captured": pi["amount"] if ok else 0,
        "amount_refunded": 0, "application": None, "application_fee": None, "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {"address": address(), "email": email, "name": None, "phone": None, "tax_id": None},
        "calculated_statement_descriptor": "HALL TREASURER", "captured": status != "failed", "created": created,
        "currency": pi["currency"], "customer": pi["customer"], "description": pi["description"], "disputed": False,
        "failure_balance_transaction": None, "failure_code": failure[0] if failure else None,
        "failure_message": failure[1] if failure else None, "fraud_details": {}, "livemode": False,
        "metadata": dict(pi["metadata"]), "on_behalf_of": None, "outcome": outcome, "paid": ok,
        "payment_intent": pi["id"], "payment_method": payment_method,
        "payment_method_details": payment_method_details(method, card_brand, last4),
        "receipt_email": pi["receipt_email"], "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{random_token(40)}",
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": f"/v1/charges/{ident}/refunds"},
        "review": None, "shipping": None, "source": None, "source_transfer": None,
        "statement_descriptor": None, "statement_descriptor_suffix": None, "status": status,
        "transfer_data": None, "transfer_group": None,
    }


def refund(created: int, ch: dict[str, Any], amount: int, *, reason: str | None, metadata: dict[str, str],
           status: str = "succeeded") -> dict[str, Any]:
    method = ch["payment_method_details"]["type"]
    details: dict[str, Any] = {"type": method}
    details[method] = {"reference": None, "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"} if method == "card" else {"reference": None, "reference_status": "pending"}
    return {
        "id": new_id("re_"), "object": "refund", "amount": amount, "balance_transaction": None,
        "charge": ch["id"], "created": created, "currency": ch["currency"], "customer": ch["customer"],
        "customer_account": None, "destination_details": details, "metadata": metadata,
        "payment_intent": ch["payment_intent"], "payment_method": ch["payment_method"], "reason": reason,
        "receipt_number": None, "source_transfer_reversal": None, "status": status, "transfer_reversal": None,
    }


def dispute(created: int, ch: dict[str, Any], amount: int, reason: str) -> dict[str, Any]:
    method = ch["payment_method_details"]["type"]
    pmd: dict[str, Any] = {"type": method}
    if method == "card":
        pmd["card"] = {"brand": ch["payment_method_details"]["card"]["brand"], "case_type": "chargeback",
                       "network_reason_code": "10.4"}
    evidence_keys = ["access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
                     "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
                     "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation",
                     "duplicate_charge_explanation", "duplicate_charge_id", "product_description", "receipt",
                     "refund_policy", "refund_policy_disclosure", "refund_refusal_explanation", "service_date",
                     "service_documentation", "shipping_address", "shipping_carrier", "shipping_date",
                     "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text"]
    evidence: dict[str, Any] = {k: None for k in evidence_keys}
    evidence["enhanced_evidence"] = {}
    return {
        "id": new_id("dp_"), "object": "dispute", "amount": amount, "balance_transactions": [],
        "charge": ch["id"], "created": created, "currency": ch["currency"], "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {"due_by": created + 7 * 86400, "enhanced_eligibility": {}, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "is_charge_refundable": False, "livemode": False, "metadata": {}, "payment_intent": ch["payment_intent"],
        "payment_method_details": pmd, "reason": reason, "status": "needs_response",
    }


def balance_transaction(created: int, *, amount: int, fee: int, fee_details: list[dict[str, Any]], currency: str,
                        source: str, type: str, reporting_category: str, available_on: int, status: str,
                        description: str | None) -> dict[str, Any]:
    return {
        "id": new_id("txn_"), "object": "balance_transaction", "amount": amount, "available_on": available_on,
        "balance_type": "payments", "created": created, "currency": currency, "description": description,
        "exchange_rate": None, "fee": fee, "fee_details": fee_details, "net": amount - fee,
        "reporting_category": reporting_category, "source": source, "status": status, "type": type,
    }


def payout(created: int, amount: int, currency: str) -> dict[str, Any]:
    return {
        "id": new_id("po_"), "object": "payout", "amount": amount, "application_fee": None,
        "application_fee_amount": None, "arrival_date": created, "automatic": True, "balance_transaction": None,
        "created": created, "currency": currency, "description": "STRIPE PAYOUT", "destination": "ba_sandbox_bank",
        "failure_balance_transaction": None, "failure_code": None, "failure_message": None, "livemode": False,
        "metadata": {}, "method": "standard", "original_payout": None, "payout_method": None,
        "reconciliation_status": "not_applicable", "reversed_by": None, "source_type": "card",
        "statement_descriptor": None, "status": "pending", "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def webhook_endpoint(created: int, url: str, enabled_events: list[str], *, description: str | None,
                     metadata: dict[str, str], api_version: str | None) -> dict[str, Any]:
    return {
        "id": new_id("we_"), "object": "webhook_endpoint", "api_version": api_version, "application": None,
        "created": created, "description": description, "enabled_events": enabled_events, "livemode": False,
        "metadata": metadata, "status": "enabled", "url": url,
        "_secret": "whsec_" + random_token(32),
    }


def event(created: int, type: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None,
          request_id: str | None, idempotency_key: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt_"), "object": "event", "api_version": API_VERSION, "created": created, "data": data,
        "livemode": False, "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": idempotency_key}, "type": type,
    }
