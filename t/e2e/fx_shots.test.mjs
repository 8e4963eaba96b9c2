import { browserTest, api, registerWithApi, freshEmail, PASSWORD } from './lib.mjs';

const SHOTS = '/tmp/shots19/X';

for (const width of [390, 1280]) {
	browserTest(`fx pages at ${width}`, { js: false }, async (page) => {
		await page.setViewportSize({ width, height: 900 });
		await page.goto('/c/kitchen-accessories');
		await page.selectOption('#currency-c', 'EUR');
		await page.click('.currency-form button');
		await page.waitForURL('**/c/kitchen-accessories');
		await page.screenshot({ path: `${SHOTS}/category-eur-${width}.png` });
		await page.goto('/p/black-whisk');
		await page.screenshot({ path: `${SHOTS}/product-eur-${width}.png` });
		const email = freshEmail('fxshot');
		await registerWithApi(page, { name: 'Ann Buyer', email });
		await api(page, 'POST', '/api/session', { data: { email, password: PASSWORD } });
		await api(page, 'PATCH', '/api/cart', { data: { itemId: 'KIT-BRD-BLA-050', quantity: 2 } });
		await page.goto('/cart');
		await page.screenshot({ path: `${SHOTS}/cart-eur-${width}.png`, fullPage: true });
		const order = {
			shippingAddress: { name: 'Ann Buyer', line1: '1 Main St', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
			shippingMethod: 'standard', currency: 'JPY',
		};
		const { amount } = await api(page, 'POST', '/api/checkout/quote', { data: order });
		const placed = await api(page, 'POST', '/api/checkout', { data: { ...order, amount, paymentMethod: 'pm_card_visa' } },
			{ 'Idempotency-Key': `e2e-${email}` });
		await page.goto(`/orders/${placed.id}`);
		await page.screenshot({ path: `${SHOTS}/order-jpy-${width}.png`, fullPage: true });
		await page.goto(`/orders/${placed.id}/invoice`);
		await page.screenshot({ path: `${SHOTS}/invoice-jpy-${width}.png`, fullPage: true });
		await page.emulateMedia({ media: 'print' });
		await page.screenshot({ path: `${SHOTS}/invoice-print-${width}.png`, fullPage: true });
	});
}
