"""/v1 products, prices, payment links and customers."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import objects
from .core import Sandbox
from .crud import Args, apply_update, get_or_404, items_list, list_of, retriever
from .handlers import api
from .store import public
from .wire import Params, invalid, merge_metadata, missing



def _currency(p: Params, key: str = "currency") -> str:
    cur = p.str(key, required=True)
    assert cur is not None
    cur = cur.lower()
    if len(cur) != 3 or not cur.isalpha():
        raise invalid(f"Invalid currency: {cur}", param=p.name(key))
    return cur


# products
def create_product(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("name", "description", "active", "metadata", "default_price_data")
    name = p.str("name", required=True)
    assert name is not None
    prod = objects.product(core.store.created(), name, description=p.str("description"),
                           active=bool(p.bool("active", True)), metadata=p.metadata() or {})
    core.store.add(prod)
    core.bus.emit("product.created", prod)
    if "default_price_data" in p:
        dp = p.sub("default_price_data")
        pr = objects.price(core.store.created(), prod["id"], _currency(dp), _amount(dp))
        core.store.add(pr)
        core.bus.emit("price.created", pr)
        prod["default_price"] = pr["id"]
    return prod


def update_product(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("name", "description", "active", "metadata", "default_price")
    prod = get_or_404(core, "product", args["id"], "product")
    changes: dict[str, Any] = {}
    for key in ("name", "description", "default_price"):
        if key in p:
            changes[key] = p.str(key)
    if "active" in p:
        changes["active"] = p.bool("active")
    if "metadata" in p:
        changes["metadata"] = merge_metadata(prod["metadata"], p.metadata())
    changes["updated"] = core.store.now()
    return apply_update(core, prod, changes, "product.updated")


def _amount(p: Params, key: str = "unit_amount") -> int:
    amount = p.int(key, required=True)
    assert amount is not None
    if amount < 0:
        raise invalid(f"Invalid {key}: must be at least 0", param=p.name(key))
    return amount


# prices
def create_price(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("currency", "unit_amount", "product", "product_data", "metadata", "nickname", "active", "lookup_key")
    currency, amount = _currency(p), _amount(p)
    product_id = p.str("product")
    if product_id:
        get_or_404(core, "product", product_id, "product")
    elif "product_data" in p:
        pd = p.sub("product_data")
        name = pd.str("name", required=True)
        assert name is not None
        prod = objects.product(core.store.created(), name, metadata=pd.metadata() or {})
        core.store.add(prod)
        core.bus.emit("product.created", prod)
        product_id = prod["id"]
    else:
        raise invalid("You must specify either `product` or `product_data` when creating a price.", param="product")
    pr = objects.price(core.store.created(), product_id, currency, amount, active=bool(p.bool("active", True)),
                       nickname=p.str("nickname"), lookup_key=p.str("lookup_key"), metadata=p.metadata() or {})
    core.store.add(pr)
    core.bus.emit("price.created", pr)
    return pr


def update_price(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("active", "metadata", "nickname", "lookup_key")
    pr = get_or_404(core, "price", args["id"], "price")
    changes: dict[str, Any] = {}
    if "active" in p:
        changes["active"] = p.bool("active")
    for key in ("nickname", "lookup_key"):
        if key in p:
            changes[key] = p.str(key)
    if "metadata" in p:
        changes["metadata"] = merge_metadata(pr["metadata"], p.metadata())
    return apply_update(core, pr, changes, "price.updated")


# payment links
def _link_line_items(core: Sandbox, p: Params) -> list[dict[str, Any]]:
    raw = p.list("line_items")
    if not raw:
        raise invalid("Missing required param: line_items.", param="line_items", code="parameter_missing")
    if len(raw) > 20:
        raise invalid("A payment link can have at most 20 line items.", param="line_items")
    items = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise invalid("Invalid line item", param=f"line_items[{i}]")
        li = Params(entry, f"line_items[{i}]")
        li.allow("price", "price_data", "quantity", "adjustable_quantity")
        quantity = li.int("quantity", required=True)
        assert quantity is not None
        if quantity < 1:
            raise invalid("Quantity must be at least 1.", param=f"line_items[{i}][quantity]")
        price_id = li.str("price")
        if price_id:
            pr = core.store.get("price", price_id)
            if pr is None:
                raise missing("price", price_id, f"line_items[{i}][price]")
            if not pr["active"]:
                raise invalid(f"The price `{price_id}` is not active.", param=f"line_items[{i}][price]")
        elif "price_data" in li:
            pd = li.sub("price_data")
            pd.allow("currency", "unit_amount", "product", "product_data", "tax_behavior")
            currency, amount = _currency(pd), _amount(pd)
            product_id = pd.str("product")
            if product_id:
                get_or_404(core, "product", product_id, "product")
            else:
                prd = pd.sub("product_data")
                name = prd.str("name", required=True)
                assert name is not None
                prod = objects.product(core.store.created(), name, description=prd.str("description"),
                                       metadata=prd.metadata() or {})
                core.store.add(prod)
                product_id = prod["id"]
            pr = objects.price(core.store.created(), product_id, currency, amount)
            core.store.add(pr)
        else:
            raise invalid("You must specify either `price` or `price_data`.", param=f"line_items[{i}][price]")
        prod = core.store.get("product", pr["product"])
        items.append(objects.line_item(public(pr), quantity, prod["name"] if prod else ""))
    if len({li["currency"] for li in items}) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    return items


def _limit(p: Params) -> int | None:
    if "restrictions" not in p:
        return None
    cs = p.sub("restrictions").sub("completed_sessions")
    limit = cs.int("limit", required=True)
    assert limit is not None
    if limit < 1:
        raise invalid("restrictions[completed_sessions][limit] must be at least 1.",
                      param="restrictions[completed_sessions][limit]")
    return limit


_LINK_EXTRA = ("allow_promotion_codes", "billing_address_collection", "customer_creation", "submit_type",
               "phone_number_collection", "currency", "automatic_tax", "custom_text")


def create_payment_link(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("line_items", "metadata", "payment_intent_data", "restrictions", "payment_method_types",
            "after_completion", "inactive_message", *_LINK_EXTRA)
    items = _link_line_items(core, p)
    pid = p.sub("payment_intent_data")
    pid.allow("metadata", "description", "statement_descriptor", "statement_descriptor_suffix",
              "capture_method", "setup_future_usage", "transfer_group")
    methods = [str(m) for m in p.list("payment_method_types")] or None
    for i, m in enumerate(methods or []):
        if m not in ("card", "us_bank_account"):
            raise invalid(f"Invalid payment_method_types[{i}]: the sandbox supports card and us_bank_account",
                          param=f"payment_method_types[{i}]")
    link = objects.payment_link(
        core.base_url, items, metadata=p.metadata() or {}, pi_metadata=pid.metadata() or {},
        pi_description=pid.str("description"), limit=_limit(p), payment_method_types=methods,
        inactive_message=p.str("inactive_message"), after_completion=p.raw("after_completion") or None)
    core.store.add(link)
    core.bus.emit("payment_link.created", link)
    return link


def update_payment_link(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("active", "metadata", "payment_intent_data", "restrictions", "inactive_message",
            "payment_method_types", "after_completion", *_LINK_EXTRA)
    link = get_or_404(core, "payment_link", args["id"], "payment_link")
    changes: dict[str, Any] = {}
    if "active" in p:
        changes["active"] = p.bool("active")
    if "metadata" in p:
        changes["metadata"] = merge_metadata(link["metadata"], p.metadata())
    if "inactive_message" in p:
        changes["inactive_message"] = p.str("inactive_message")
    if "payment_intent_data" in p:
        pid = p.sub("payment_intent_data")
        data = dict(link["payment_intent_data"])
        if "metadata" in pid:
            data["metadata"] = merge_metadata(data["metadata"] or {}, pid.metadata())
        if "description" in pid:
            data["description"] = pid.str("description")
        changes["payment_intent_data"] = data
    if "restrictions" in p:
        if p.raw("restrictions") == "":
            changes["restrictions"] = None
        else:
            count = ((link.get("restrictions") or {}).get("completed_sessions") or {}).get("count", 0)
            changes["restrictions"] = {"completed_sessions": {"count": count, "limit": _limit(p)}}
    if "payment_method_types" in p:
        changes["payment_method_types"] = [str(m) for m in p.list("payment_method_types")] or None
    return apply_update(core, link, changes, "payment_link.updated")


def link_line_items(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    link = get_or_404(core, "payment_link", args["id"], "payment_link")
    return items_list(link, p, f"/v1/payment_links/{link['id']}/line_items")


# customers
def create_customer(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("email", "name", "description", "phone", "metadata")
    cus = objects.customer(core.store.created(), email=p.str("email"), name=p.str("name"),
                           description=p.str("description"), phone=p.str("phone"), metadata=p.metadata() or {})
    core.store.add(cus)
    core.bus.emit("customer.created", cus)
    return cus


def update_customer(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    p.allow("email", "name", "description", "phone", "metadata")
    cus = get_or_404(core, "customer", args["id"], "customer")
    changes: dict[str, Any] = {k: p.str(k) for k in ("email", "name", "description", "phone") if k in p}
    if "metadata" in p:
        changes["metadata"] = merge_metadata(cus["metadata"], p.metadata())
    return apply_update(core, cus, changes, "customer.updated")


def delete_customer(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
    cus = get_or_404(core, "customer", args["id"], "customer")
    core.store.remove("customer", cus["id"])
    core.bus.emit("customer.deleted", cus)
    return {"id": cus["id"], "object": "customer", "deleted": True}


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/products", api(create_product))
    r.add_get("/v1/products", api(lambda c, p, a: list_of(c, "product", p, "/v1/products", "product",
                                                       active=p.bool("active"))))
    r.add_get("/v1/products/{id}", api(retriever("product", "product")))
    r.add_post("/v1/products/{id}", api(update_product))
    r.add_post("/v1/prices", api(create_price))
    r.add_get("/v1/prices", api(lambda c, p, a: list_of(c, "price", p, "/v1/prices", "price", active=p.bool("active"),
                                                     product=p.str("product"), currency=p.str("currency"))))
    r.add_get("/v1/prices/{id}", api(retriever("price", "price")))
    r.add_post("/v1/prices/{id}", api(update_price))
    r.add_post("/v1/payment_links", api(create_payment_link))
    r.add_get("/v1/payment_links", api(lambda c, p, a: list_of(c, "payment_link", p, "/v1/payment_links",
                                                            "payment_link", active=p.bool("active"))))
    r.add_get("/v1/payment_links/{id}", api(retriever("payment_link", "payment_link")))
    r.add_post("/v1/payment_links/{id}", api(update_payment_link))
    r.add_get("/v1/payment_links/{id}/line_items", api(link_line_items))
    r.add_post("/v1/customers", api(create_customer))
    r.add_get("/v1/customers", api(lambda c, p, a: list_of(c, "customer", p, "/v1/customers", "customer",
                                                        email=p.str("email"))))
    r.add_get("/v1/customers/{id}", api(retriever("customer", "customer")))
    r.add_post("/v1/customers/{id}", api(update_customer))
    r.add_delete("/v1/customers/{id}", api(delete_customer))
