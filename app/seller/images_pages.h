/* Product photos: the page and API handlers (app/seller/images_routes.inc). */
#ifndef SELLER_IMAGES_PAGES_H
#define SELLER_IMAGES_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_seller_images(struct ctx *c);
enum err h_seller_image_upload(struct ctx *c);
enum err h_seller_image_alt(struct ctx *c);
enum err h_seller_image_move(struct ctx *c);
enum err h_seller_image_delete(struct ctx *c);
enum err h_api_images(struct ctx *c);
enum err h_api_image_create(struct ctx *c);
enum err h_api_image_update(struct ctx *c);
enum err h_api_image_delete(struct ctx *c);

#endif
