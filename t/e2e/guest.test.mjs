// Guest checkout end to end (issue 15), at a phone's width (390 px) and a
// desktop's (1280 px): the checkout offers guest checkout first (email,
// address, shipping, pay; no account) with sign-in one click away; the
// card is typed on the sandbox gateway's own page; the shopper lands on the
// order's signed page, which the confirmation mail links to as well and
// which opens in another browser without signing in; /orders/lookup finds
// it again (and says the same whichever field is wrong); "Save your
// details" makes the account with a password only. axe runs on every page
// of the journey, and none of the guest's own pages scrolls sideways.
import {
	browserTest, assert, addToCartFromSearch, checkA11y, fillNewAddress, freshEmail, payOnGatewayPage, sql,
} from './lib.mjs';

async function noSidewaysScroll(page, what) {
	const [scroll, inner] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
	assert.ok(scroll <= inner, `${what} scrolls sideways: ${scroll} > ${inner} px`);
}

for (const width of [390, 1280]) {
	browserTest(`guest checkout at ${width} px: pay as a guest, mail link, lookup, save your details`,
		{ timeout: 200000 }, async (page, t, { newPage }) => {
			await page.setViewportSize({ width, height: 900 });
			const email = freshEmail(`guest${width}`);
			const name = 'Gil Guest';

			// A visitor with something in the cart goes to checkout.
			await addToCartFromSearch(page, 'laptop');
			await page.getByRole('link', { name: 'Proceed to checkout' }).click();
			await page.waitForURL(/\/checkout$/);

			// Guest checkout comes first; sign-in is one click away.
			const choice = page.locator('.guest-choice');
			await choice.getByText('Check out as a guest').waitFor();
			assert.equal(await choice.getByRole('link', { name: 'Sign in' }).getAttribute('href'),
				'/signin?next=/checkout');
			const emailBox = page.getByLabel('Email');
			const box = await emailBox.boundingBox();
			const line1 = await page.getByLabel('Address line 1').boundingBox();
			assert.ok(box.y < line1.y, 'the email comes before the address');
			await checkA11y(page, t, `guest checkout ${width}`);

			// Email, address, shipping: the review.
			await emailBox.fill(email);
			await fillNewAddress(page, name);
			const methods = page.getByRole('group', { name: 'Shipping method' }).getByRole('radio', { disabled: false });
			await methods.first().check();
			await page.getByRole('button', { name: 'Review your order' }).click();
			await page.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();
			const total = (await page.locator('.totals .grand td').innerText()).trim();
			await page.getByRole('button', { name: 'Place order and pay' }).click();

			// The gateway's own card page, then back to the order's own
			// page: a signed link, no sign-in.
			await page.waitForURL(/\/pay\/pi_/);
			await payOnGatewayPage(page);
			await page.waitForURL(/\/orders\/\d+\/view\?t=/);
			const link = new URL(page.url());
			const orderId = Number(link.pathname.split('/')[2]);
			await page.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
			const status = page.locator('.order-status');
			for (let i = 0; i < 20 && !/Confirmed/i.test(await status.innerText()); i++) {
				await page.waitForTimeout(250);
				await page.reload();
			}
			assert.match(await status.innerText(), /Confirmed/i);
			await page.getByText(name).first().waitFor();
			assert.equal((await page.locator('.totals .grand td').innerText()).trim(), total);
			await page.getByRole('heading', { name: 'Save your details' }).waitFor();
			await checkA11y(page, t, `guest order ${width}`);
			await noSidewaysScroll(page, 'the guest order page');

			// In MariaDB: a guest's order, paid, for the total shown; the
			// cart in the header is empty again.
			assert.deepEqual(sql(`SELECT o.status, o.total, u.status FROM orders o JOIN users u ON u.id = o.user_id
				WHERE o.id = ${orderId} AND u.guest_email = '${email}'`),
			[['confirmed', total.replace(/[^0-9]/g, ''), 'guest']]);
			assert.equal((await page.locator('header .cart-count').innerText()).trim(), '0');

			// The confirmation mail carries the same signed link, which
			// opens in another browser without signing in.
			// (The notify consumer queues it a moment after the order.)
			let rows = [];
			for (let i = 0; i < 150 && !rows.length; i++) {
				rows = sql(`SELECT body FROM mail_outbox WHERE to_addr = '${email}' ORDER BY id DESC LIMIT 1`);
				if (!rows.length) await new Promise((r) => setTimeout(r, 100));
			}
			assert.ok(rows.length, 'a confirmation mail was queued');
			const body = rows[0][0];
			const mailed = body.match(/\/orders\/\d+\/view\?t=[A-Za-z0-9_-]+/);
			assert.ok(mailed, `the mail has the link: ${body}`);
			assert.equal(mailed[0], link.pathname + link.search);
			const other = await newPage();
			await other.setViewportSize({ width, height: 900 });
			await other.goto(mailed[0]);
			await other.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
			// A changed character opens nothing.
			const bad = mailed[0].replace(/t=(.)/, (m, c) => `t=${c === 'A' ? 'B' : 'A'}`);
			assert.equal((await other.goto(bad)).status(), 404);

			// /orders/lookup: one answer for a wrong number, then the order.
			await other.goto('/orders/lookup');
			await checkA11y(other, t, `order lookup ${width}`);
			await noSidewaysScroll(other, 'the lookup page');
			await other.getByLabel('Email').fill(email);
			await other.getByLabel('Order number').fill(String(orderId + 100000));
			await other.getByRole('button', { name: 'Find my order' }).click();
			await other.getByRole('alert').getByText('We could not find an order').waitFor();
			assert.equal(await other.getByLabel('Email').inputValue(), email);
			await other.getByLabel('Order number').fill(String(orderId));
			await other.getByRole('button', { name: 'Find my order' }).click();
			await other.waitForURL(/\/orders\/\d+\/view\?t=/);
			await other.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();

			// Save your details: a password, and the order is the new
			// account's, signed in.
			await page.getByLabel(/^Password/).fill('correct horse battery staple');
			await page.getByRole('button', { name: 'Create my account' }).click();
			await page.waitForURL(new RegExp(`/orders/${orderId}$`));
			await page.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
			await page.getByText('Your account is ready').waitFor();
			assert.deepEqual(sql(`SELECT u.status, u.email FROM orders o JOIN users u ON u.id = o.user_id
				WHERE o.id = ${orderId}`), [['active', email]]);
		});
}
