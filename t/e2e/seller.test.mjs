// Sellers (issue 7): a seller signs in, lists an item with two variants and
// a photo through the seller pages, a shopper finds it in search and buys
// it, the seller picks and ships it and the shopper sees the tracking
// number. Then the item form once more without JavaScript: every seller
// page is a plain HTML form. (The seller pages' accessibility is checked in
// a11y.test.mjs.)
import {
	browserTest, assert, addToCartFromSearch, api, cartCount, checkoutAndPay, createItemWithApi, freshEmail,
	paidOrderWithApi, registerWithForm, signInAsNewSeller, signInWithForm, sql, testPng,
} from './lib.mjs';

// A word no demo product has, so search finds only this run's item.
const uniqueWord = () => `zebracorn${process.pid % 1000}${Date.now() % 100000}`;

// The rows of the item form's variant table.
const variantRow = (page, i) => page.locator('table.variants tbody tr').nth(i);

// Fills the item form's new variant row I: SKU code, the first option's
// value, price and initial quantity.
async function fillVariant(page, i, { code, value, price, qty }) {
	const row = variantRow(page, i);
	await row.getByLabel(/^SKU code/).fill(code);
	await row.getByLabel(/^Option 1/).fill(value);
	await row.getByLabel(/^Price/).fill(price);
	await row.getByLabel(/^Initial quantity/).fill(qty);
}

// On the item form (new item): title, description, brand, the category
// Men's Shirts and its required attribute Material (shown by the button
// that re-shows the form with the category's attributes), option 1
// "Color", two variants (the second row made by "Add a variant", as a
// person would), status. Saves; answers the item's id from the page the
// shop redirects to.
async function createShirt(page, { title, word, variants, status = 'active' }) {
	await page.getByLabel(/^Title/).fill(title);
	await page.getByLabel(/^Description/).fill(`A ${word} shirt for the browser tests.`);
	await page.getByLabel(/^Brand/).fill('E2E Tailors');
	await page.getByLabel(/^Category/).selectOption({ label: "Fashion: Men's Shirts" });
	await page.getByRole('button', { name: "Show this category's attributes" }).click();
	await page.getByLabel(/^Material/).fill('Cotton');
	// The form came back filled as it was.
	assert.equal(await page.getByLabel(/^Title/).inputValue(), title);
	await page.getByLabel(/^Option 1 name/).fill('Color');
	assert.equal(await page.locator('table.variants tbody tr').count(), 1, 'a new item starts with one variant row');
	await fillVariant(page, 0, variants[0]);
	await page.getByRole('button', { name: 'Add a variant' }).click();
	await variantRow(page, 1).waitFor();
	assert.equal(await variantRow(page, 0).getByLabel(/^SKU code/).inputValue(), variants[0].code,
		'"Add a variant" keeps the first row');
	await fillVariant(page, 1, variants[1]);
	await page.getByLabel('Status', { exact: true }).selectOption(status);
	await page.getByRole('button', { name: 'Save item' }).click();
	await page.waitForURL(/\/seller\/items\/\d+\?saved=1$/);
	await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
	return Number(new URL(page.url()).pathname.split('/')[3]);
}

// What MariaDB holds of the item: [title, brand, status, category slug,
// Material, seller id] and its SKUs [code, price, options, available].
function itemInDb(itemId) {
	const [p] = sql(`SELECT p.title, p.brand, p.status, c.slug, JSON_VALUE(p.attributes, '$.Material'), p.seller_id
		FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = ${itemId}`);
	const skus = sql(`SELECT s.code, s.price, JSON_VALUE(s.options, '$.Color'),
		(SELECT SUM(i.available) FROM inventory i WHERE i.sku_id = s.id)
		FROM skus s WHERE s.product_id = ${itemId} ORDER BY s.code`);
	return { p, skus };
}

// Uploads a photo with its alt text on the item's photo page (the browser
// on it); waits for the photo in the list.
async function uploadPhoto(page, { name, png, alt }) {
	const form = page.getByRole('form', { name: 'Add a photo' });
	await form.getByLabel(/^Photo/).setInputFiles({ name, mimeType: 'image/png', buffer: png });
	await form.getByLabel(/^Alt text/).fill(alt);
	await form.getByRole('button', { name: 'Upload' }).click();
	await page.waitForURL(/\/images\?done=added$/);
	await page.getByText('The photo was added.').waitFor();
	await page.locator('ol.photo-list img[src*="/media/"]').first().waitFor();
}

// True when the image has loaded and decoded (not a broken picture).
const loaded = (img) => img.evaluate((el) => el.complete && el.naturalWidth > 0);

browserTest('seller lists an item with two variants and a photo; a shopper finds it and buys it; the seller ships it', {
	timeout: 150000,
}, async (page, t, { newPage }) => {
	// 1. A new seller signs in through the sign-in page (made a seller
	//    with shopctl, as an operator would) and lands on the dashboard.
	const seller = await signInAsNewSeller(page, 'Vera Vendor');
	await page.getByRole('heading', { level: 1, name: 'Seller dashboard' }).waitFor();

	// 2. Items › Add an item.
	const word = uniqueWord();
	const title = `Teal ${word} shirt`;
	const code = (c) => `E2E-${word}-${c}`.toUpperCase();
	const sellerNav = page.getByRole('navigation', { name: 'Seller tools' });
	await sellerNav.getByRole('link', { name: 'Items' }).click();
	await page.waitForURL(/\/seller\/items$/);
	await page.getByRole('link', { name: 'Add an item' }).click();
	await page.waitForURL(/\/seller\/items\/new$/);
	await page.getByRole('heading', { level: 1, name: 'Add an item' }).waitFor();
	const itemId = await createShirt(page, {
		title, word, variants: [
			{ code: code('TEAL'), value: 'Teal', price: '12.50', qty: '5' },
			{ code: code('NAVY'), value: 'Navy', price: '13.75', qty: '3' },
		],
	});
	assert.deepEqual(itemInDb(itemId), {
		p: [title, 'E2E Tailors', 'active', 'mens-shirts', 'Cotton', String(seller.sellerId)],
		skus: [[code('NAVY'), '1375', 'Navy', '3'], [code('TEAL'), '1250', 'Teal', '5']],
	});
	// The edit page shows both variants as stored (codes are fixed now).
	for (const c of [code('TEAL'), code('NAVY')])
		await page.locator('table.variants tbody tr').filter({ hasText: c }).waitFor();

	// 3. Its photos page: upload a PNG made on the spot, with alt text.
	await page.getByRole('link', { name: 'Images' }).click();
	await page.waitForURL(new RegExp(`/seller/items/${itemId}/images$`));
	await page.getByRole('heading', { level: 1, name: `Photos of ${title}` }).waitFor();
	const alt = `A teal ${word} shirt, folded`;
	await uploadPhoto(page, { name: 'shirt.png', png: testPng(400, 400, [0, 128, 128]), alt });
	const thumb = page.locator('ol.photo-list img').first();
	assert.equal(await thumb.getAttribute('alt'), alt);
	assert.ok(await loaded(thumb), 'the thumbnail loads');
	assert.deepEqual(sql(`SELECT COUNT(*), MIN(i.alt), MIN(i.width) FROM product_images i WHERE i.product_id = ${itemId}
		AND i.seller_id = ${seller.sellerId}`), [['1', alt, '400']]);
	assert.match(sql(`SELECT thumbnail FROM products WHERE id = ${itemId}`)[0][0], /^\/media\//);

	// 4. A shopper (another browser: no seller cookies) types the word in
	//    the search box. The search index follows the outbox (under a
	//    second): a few bounded looks.
	const sp = await newPage();
	await sp.goto('/');
	const box = sp.getByRole('combobox', { name: 'Search products' });
	await box.fill(word);
	await box.press('Enter');
	await sp.waitForURL(/\/search\?q=/);
	const card = sp.locator('li.card').filter({ hasText: title });
	for (let i = 0; i < 20 && await card.count() === 0; i++) {
		await sp.waitForTimeout(250);
		await sp.reload();
	}
	assert.equal(await card.count(), 1, `search for ${word} finds the item`);
	await card.locator('a.card-link').click();
	await sp.getByRole('heading', { level: 1, name: title }).waitFor();

	// The product page: the photo from /media/, both options.
	const photo = sp.locator('.gallery img');
	assert.match(await photo.getAttribute('src'), /^\/media\//);
	assert.ok(await loaded(photo), 'the product photo loads');
	const options = sp.getByRole('list', { name: 'Color' }).getByRole('link');
	assert.equal(await options.count(), 2);
	await options.filter({ hasText: 'Teal' }).waitFor();
	await options.filter({ hasText: 'Navy' }).waitFor();
	await sp.getByText(`Brand: E2E Tailors`).waitFor();

	// Choose Navy and add it to the cart; then another seller's product
	// (a demo one), so the order has lines of two sellers.
	await options.filter({ hasText: 'Navy' }).click();
	await sp.locator(`form.add-to-cart input[name=itemId][value="${code('NAVY')}"]`).waitFor({ state: 'attached' });
	await sp.getByRole('button', { name: 'Add to cart' }).click();
	await sp.waitForURL(/\/cart/);
	const other = await addToCartFromSearch(sp, 'laptop');
	assert.equal(await cartCount(sp), 2);
	await sp.locator('table.cart-lines tbody tr').filter({ hasText: title }).waitFor();

	// Checkout: register, sign in, pay on the gateway's page.
	const buyer = { name: 'Bea Buyer', email: freshEmail('buyer') };
	await sp.getByRole('link', { name: 'Proceed to checkout' }).click();
	// Guest checkout comes first; signing in is one click away (issue 15).
	await sp.locator('.guest-choice').getByRole('link', { name: 'Sign in' }).click();
	await sp.waitForURL(/\/signin/);
	await sp.getByRole('link', { name: 'Create an account' }).click();
	await registerWithForm(sp, buyer);
	await signInWithForm(sp, buyer);
	await sp.goto('/checkout');
	const { orderId } = await checkoutAndPay(sp, buyer.name);
	assert.deepEqual(sql(`SELECT l.code, l.seller_id = ${seller.sellerId}, l.quantity FROM order_lines l
		WHERE l.order_id = ${orderId} ORDER BY l.seller_id = ${seller.sellerId} DESC`).map((r) => r.slice(1)),
	[['1', '1'], ['0', '1']], 'one line of this seller, one of another');
	assert.deepEqual(sql(`SELECT l.code FROM order_lines l WHERE l.order_id = ${orderId}
		AND l.seller_id = ${seller.sellerId}`), [[code('NAVY')]]);
	assert.deepEqual(itemInDb(itemId).skus.map((s) => s[3]), ['2', '5'], 'one Navy fewer available');

	// 5. The seller's orders: this order, with only this seller's line.
	await page.bringToFront();
	await sellerNav.getByRole('link', { name: 'Orders' }).click();
	await page.waitForURL(/\/seller\/orders$/);
	const row = page.locator('table.cart-lines tbody tr').filter({ has: page.getByRole('link', { name: `Order ${orderId}` }) });
	assert.equal(await row.count(), 1);
	assert.match(await row.innerText(), new RegExp(title));
	assert.doesNotMatch(await row.innerText(), new RegExp(other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
	await row.getByRole('link', { name: `Order ${orderId}` }).click();
	await page.waitForURL(new RegExp(`/seller/orders/${orderId}$`));
	await page.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
	const lines = page.locator('table.cart-lines tbody tr');
	assert.equal(await lines.count(), 1, 'only this seller\'s line');
	assert.match(await lines.first().innerText(), new RegExp(code('NAVY')));

	// Mark it picked, then ship it with a carrier and tracking number
	// (the shipment captures its part of the payment).
	await lines.first().getByRole('checkbox').check();
	await page.getByRole('button', { name: 'Mark picked' }).click();
	await lines.first().getByText('Picked').waitFor();
	assert.deepEqual(sql(`SELECT state FROM order_lines WHERE order_id = ${orderId} AND seller_id = ${seller.sellerId}`),
		[['picked']]);
	const tracking = `1Z${word}`.toUpperCase();
	await lines.first().getByRole('checkbox').check();
	await page.getByLabel('Carrier').fill('UPS');
	await page.getByLabel('Tracking number').fill(tracking);
	await page.getByRole('button', { name: 'Ship and capture payment' }).click();
	await page.waitForURL(new RegExp(`/seller/orders/${orderId}$`));
	const shipment = page.locator('ul.shipments li').filter({ hasText: tracking });
	await shipment.waitFor();
	await lines.first().getByText('Shipped').waitFor();
	assert.deepEqual(sql(`SELECT s.carrier, s.status, l.state FROM shipments s JOIN order_lines l ON l.shipment_id = s.id
		WHERE s.order_id = ${orderId} AND s.seller_id = ${seller.sellerId} AND s.tracking = '${tracking}'`),
	[['UPS', 'shipped', 'shipped']]);
	// The capture (the shipment is "shipped" only once the gateway took
	// it) is this seller's line with its share: more than the goods, less
	// than the whole order, which has the other seller's line too.
	const [[captured, orderTotal]] = sql(`SELECT s.amount, o.total FROM shipments s JOIN orders o ON o.id = s.order_id
		WHERE s.order_id = ${orderId} AND s.seller_id = ${seller.sellerId}`);
	assert.ok(Number(captured) >= 1375 && Number(captured) < Number(orderTotal), `captured ${captured} of ${orderTotal}`);
	// The other seller's line is untouched.
	assert.deepEqual(sql(`SELECT state FROM order_lines WHERE order_id = ${orderId} AND seller_id <> ${seller.sellerId}`),
		[['open']]);

	// 6. The shopper's order page shows the shipment and its tracking.
	await sp.bringToFront();
	await sp.goto(`/orders/${orderId}`);
	await sp.locator('ul.shipments li').filter({ hasText: `UPS tracking number ${tracking}` }).waitFor();
});

browserTest('seller without JavaScript: an item with two variants ("Add a variant") and a photo', { js: false }, async (page) => {
	const seller = await signInAsNewSeller(page, 'Nora Nojs');
	const word = uniqueWord();
	const title = `Plain ${word} shirt`;
	const code = (c) => `NJS-${word}-${c}`.toUpperCase();
	await page.getByRole('navigation', { name: 'Seller tools' }).getByRole('link', { name: 'Items' }).click();
	await page.getByRole('link', { name: 'Add an item' }).click();
	await page.waitForURL(/\/seller\/items\/new$/);
	const itemId = await createShirt(page, {
		title, word, status: 'draft', variants: [
			{ code: code('S'), value: 'Small', price: '20', qty: '1' },
			{ code: code('L'), value: 'Large', price: '21.05', qty: '2' },
		],
	});
	assert.deepEqual(itemInDb(itemId), {
		p: [title, 'E2E Tailors', 'draft', 'mens-shirts', 'Cotton', String(seller.sellerId)],
		skus: [[code('L'), '2105', 'Large', '2'], [code('S'), '2000', 'Small', '1']],
	});

	// The list shows it; its photo page takes a photo without scripts too.
	await page.getByRole('navigation', { name: 'Seller tools' }).getByRole('link', { name: 'Items' }).click();
	await page.getByRole('link', { name: title }).click();
	await page.waitForURL(new RegExp(`/seller/items/${itemId}$`));
	await page.getByRole('link', { name: 'Images' }).click();
	await uploadPhoto(page, { name: 'plain.png', png: testPng(120, 80), alt: 'A plain shirt' });
	assert.deepEqual(sql(`SELECT COUNT(*) FROM product_images WHERE product_id = ${itemId}`), [['1']]);
});

// The rest of the seller's forms without JavaScript, on an item and a paid
// order made over the JSON API: a photo's alt text, its order and its
// removal; a stock change; shipping, delivery and a refund of one unit.
browserTest('seller without JavaScript: photos, stock, ship, delivered, refund', { js: false }, async (page, t, { newPage }) => {
	const seller = await signInAsNewSeller(page, 'Olga Offline');
	const word = uniqueWord();
	const sku = `OFF-${word}`.toUpperCase();
	const item = await createItemWithApi(page, {
		name: `Offline ${word} lamp`, category: 'home-decoration', skus: [{ code: sku, price: 2500, quantity: 6 }],
	});
	for (const [name, rgb] of [['red.png', [200, 30, 30]], ['green.png', [30, 160, 60]]])
		await api(page, 'POST', `/api/items/${item.id}/images`, {
			multipart: { image: { name, mimeType: 'image/png', buffer: testPng(90, 90, rgb) }, alt: name },
		});
	const photos = () => sql(`SELECT alt FROM product_images WHERE product_id = ${item.id} ORDER BY position, id`).map((r) => r[0]);
	assert.deepEqual(photos(), ['red.png', 'green.png']);

	// Photos: alt text, move the first down, delete the (new) second.
	await page.goto(`/seller/items/${item.id}/images`);
	await page.getByLabel(/^Alt text of photo 1/).fill('A red lamp');
	await page.getByRole('button', { name: 'Save alt text of photo 1' }).click();
	await page.waitForURL(/\?done=saved$/);
	await page.getByText('The alt text was saved.').waitFor();
	assert.deepEqual(photos(), ['A red lamp', 'green.png']);
	await page.getByRole('button', { name: 'Move down photo 1' }).click();
	await page.waitForURL(/\?done=moved$/);
	assert.deepEqual(photos(), ['green.png', 'A red lamp']);
	// Deleting asks first (a disclosure: no JavaScript needed).
	await page.locator('summary').filter({ hasText: 'Delete photo 2' }).click();
	await page.getByRole('button', { name: 'Yes, delete photo 2' }).click();
	await page.waitForURL(/\?done=deleted$/);
	assert.deepEqual(photos(), ['green.png']);
	assert.equal(await page.locator('ol.photo-list li').count(), 1);

	// Stock: set the east warehouse's available units to 9, with a reason.
	await page.goto(`/seller/items/${item.id}/stock`);
	const row = page.locator('table.cart-lines').first().locator('tbody tr').filter({ hasText: '(east)' });
	await row.getByLabel('Set to').check();
	await row.getByLabel(/^Quantity/).fill('9');
	await row.getByLabel(/^Reason/).fill('counted the shelf');
	await row.getByRole('button', { name: /^Save/ }).click();
	await page.getByRole('cell', { name: 'counted the shelf' }).waitFor();
	const available = () => sql(`SELECT i.available FROM inventory i JOIN skus s ON s.id = i.sku_id
		JOIN warehouses w ON w.id = i.warehouse_id WHERE s.code = '${sku}' AND w.code = 'east'`)[0][0];
	assert.equal(available(), '9');

	// An order of two, shipped without picking, delivered, one returned.
	const order = await paidOrderWithApi(await newPage(), sku, 2);
	assert.equal(available(), '7');
	await page.goto(`/seller/orders/${order.id}`);
	const line = page.locator('table.cart-lines tbody tr').first();
	await line.getByRole('checkbox').check();
	await page.getByLabel('Carrier').fill('DHL');
	await page.getByLabel('Tracking number').fill(`JD${word}`);
	await page.getByRole('button', { name: 'Ship and capture payment' }).click();
	await line.getByText('Shipped').waitFor();
	await page.getByRole('button', { name: 'Mark delivered' }).click();
	await line.getByText('Delivered').waitFor();
	const lineNo = await line.locator('td').nth(1).innerText();
	await page.getByLabel(`Returned units of line ${lineNo}`).fill('1');
	await page.locator('summary').filter({ hasText: /^Refund and restock/ }).click();
	await page.getByRole('button', { name: /^Yes, refund and restock/ }).click();
	await page.getByRole('heading', { level: 2, name: 'Refunds' }).waitFor();
	assert.deepEqual(sql(`SELECT s.status, l.state, l.refunded_qty FROM shipments s JOIN order_lines l ON l.shipment_id = s.id
		WHERE s.order_id = ${order.id} AND s.seller_id = ${seller.sellerId}`), [['delivered', 'delivered', '1']]);
	assert.deepEqual(sql(`SELECT COUNT(*) FROM refunds WHERE order_id = ${order.id} AND seller_id = ${seller.sellerId}
		AND amount > 0`), [['1']]);
});
