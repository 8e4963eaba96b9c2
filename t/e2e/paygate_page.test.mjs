// The sandbox gateway's card page in Chromium at 390 and 1280 px (issue 15):
// the expiry typed as "1230" or "12 / 30" on a text keypad, the name and
// expiry still there after a typing error, "Back to the shop", axe, and a
// page that fits a phone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserTest, assert, checkA11y, BASE, HOME } from './lib.mjs';

const WIDTHS = [390, 1280];

// A new intent at the stack's gateway whose return_url is the shop's home.
async function newIntent() {
	const port = readFileSync(join(HOME, 'run', 'paygate.port'), 'utf8').trim();
	const key = readFileSync(join(HOME, 'paygate', 'api-key'), 'utf8').trim();
	const r = await fetch(`http://127.0.0.1:${port}/v1/payment_intents`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ amount: 2599, currency: 'usd', return_url: `${BASE}/?from=gateway` }),
	});
	assert.equal(r.status, 200);
	return r.json();
}

for (const width of WIDTHS) {
	browserTest(`gateway card page at ${width} px`, async (page, t) => {
		await page.setViewportSize({ width, height: 900 });
		const pi = await newIntent();
		await page.goto(pi.hosted_url);
		const exp = page.getByLabel('Expiry (MM/YY)');
		assert.equal(await exp.getAttribute('inputmode'), 'text');
		await checkA11y(page, t, `gateway page at ${width}`);
		assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= innerWidth),
			'the card page fits the screen');

		// A typing error: the name and expiry stay, the number does not.
		await page.getByLabel('Card number').fill('4242 4242 4242 4241');
		await exp.fill('12 / 30');
		await page.getByLabel('CVC').fill('123');
		await page.getByLabel('Name on card').fill('Pat Shopper');
		await page.getByRole('button', { name: /^Pay / }).click();
		await page.getByText('Your card number is incorrect.').waitFor();
		assert.equal(await page.getByLabel('Expiry (MM/YY)').inputValue(), '12 / 30');
		assert.equal(await page.getByLabel('Name on card').inputValue(), 'Pat Shopper');
		assert.equal(await page.getByLabel('Card number').inputValue(), '');
		await checkA11y(page, t, `gateway page with an error at ${width}`);

		// "Back to the shop" goes to the return_url with the intent's id.
		const back = page.getByRole('link', { name: 'Back to the shop' });
		const href = await back.getAttribute('href');
		assert.equal(href, `${BASE}/?from=gateway&payment_intent=${pi.id}`);

		// The digits alone pay.
		await page.getByLabel('Card number').fill('4242 4242 4242 4242');
		await page.getByLabel('Expiry (MM/YY)').fill('1230');
		await page.getByLabel('CVC').fill('123');
		await page.getByRole('button', { name: /^Pay / }).click();
		await page.waitForURL((u) => u.origin === new URL(BASE).origin);
		assert.match(page.url(), new RegExp(`payment_intent=${pi.id}`));
	});
}
