/* Seller payouts: the seller's statements (/seller/payouts, CSV, the API),
 * the admins' (/admin/payouts: statements, marking paid, commission rates)
 * and their JSON twins (docs/api.md, "Payouts"). */
#ifndef PAYOUTS_PAYOUTS_PAGES_H
#define PAYOUTS_PAYOUTS_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_seller_payouts(struct ctx *c);
enum err h_api_seller_payouts(struct ctx *c);
enum err h_seller_payout(struct ctx *c);
enum err h_api_seller_payout(struct ctx *c);
enum err h_seller_payout_csv(struct ctx *c);
enum err h_admin_payouts(struct ctx *c);
enum err h_api_admin_payouts(struct ctx *c);
enum err h_admin_payout(struct ctx *c);
enum err h_api_admin_payout(struct ctx *c);
enum err h_admin_payout_csv(struct ctx *c);
enum err h_admin_payout_paid(struct ctx *c);
enum err h_api_admin_payout_paid(struct ctx *c);
enum err h_api_commission_rates(struct ctx *c);
enum err h_api_commission_set(struct ctx *c);
enum err h_admin_commission(struct ctx *c);

#endif
