/* POST /checkout, the design brief's path for placing an order: the same
 * handler and contract as POST /api/checkout, with the cart named. The
 * router has already checked the body against its declaration
 * (checkout/routes.inc: cartId, paymentInfo with paymentType "CARD", and
 * paymentInfo.paymentMethod given to the handler as paymentMethod) and
 * refused card numbers; what is left is whose cart it is.
 *
 * A signed-in shopper's cart is the row of `carts` keyed by the shopper's
 * user id (app/cart), and GET /api/cart gives that id as "id". A cartId
 * that is not the caller's own is answered 404, the same whether that cart
 * exists or not (as another shopper's order is): the answer says nothing
 * about other people's carts, and nothing is held or charged. */
#include "../http/router.h"
#include "../http/server.h"
#include "../account/session_pages.h"
#include "brief_pages.h"
#include "checkout_pages.h"

enum err h_brief_checkout(struct ctx *c)
{
	if (!c->sess || !c->sess->uid || ctx_int(c, "cartId", 0) != c->sess->uid)
		return reply_error(c, 404, "cartId: you have no cart with this id (GET /api/cart gives yours).");
	return h_api_checkout(c);
}
