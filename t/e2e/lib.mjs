// Helpers shared by the browser tests (t/e2e/*.test.mjs): the browser, one
// page per test with its artefacts kept on failure, axe, and the stack's
// command-line tools (shopctl, redis-cli, mariadb) for setting up accounts.
//
// The tests run against the stack named by the environment that t/e2e/run
// (or scripts/run-tests) sets: SHOP_TEST_BASE (the shop's URL), SHOP_HOME
// (its run directory), SHOP_ROOT (the project), SHOP_BIN (where shopctl is;
// default bin/).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import AxeBuilderModule from '@axe-core/playwright';

const AxeBuilder = AxeBuilderModule.default ?? AxeBuilderModule;

export const ROOT = process.env.SHOP_ROOT || join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BASE = process.env.SHOP_TEST_BASE;
export const HOME = process.env.SHOP_HOME;
export const LOGDIR = join(ROOT, 'build', 'test-logs', 'e2e');
export const PASSWORD = 'correct horse battery staple';

if (!BASE || !HOME)
	throw new Error('SHOP_TEST_BASE and SHOP_HOME are not set: run the tests through t/e2e/run');

// Debian's chromium, never a browser of Playwright's own (it would be a
// download). The flags are the ones STACK.md found to work here: no sandbox
// (root in a container), and nothing that talks to the network by itself.
const CHROMIUM = process.env.SHOP_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run',
];

// One browser per test file, started by the first test that needs it and
// closed when the file's tests are done.
let browserPromise = null;

export function browser() {
	if (!browserPromise)
		browserPromise = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
	return browserPromise;
}

after(async () => {
	if (browserPromise)
		await (await browserPromise).close();
});

// A file name from a test's name: letters, digits and dashes.
function slug(s) {
	return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'test';
}

// Keeps what a failing test saw: a full-page screenshot, the page's HTML,
// its URL, and the browser console's errors (SUFFIX tells the pages of one
// test apart).
async function keepArtefacts(name, page, problems, suffix = '') {
	const base = join(LOGDIR, slug(name) + suffix);
	mkdirSync(LOGDIR, { recursive: true });
	const notes = [];
	try {
		notes.push(`url: ${page.url()}`);
		await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10000 });
		writeFileSync(`${base}.html`, await page.content());
	} catch (e) {
		notes.push(`could not save the page: ${e.message}`);
	}
	if (problems.length)
		notes.push('browser console:', ...problems);
	writeFileSync(`${base}.txt`, notes.join('\n') + '\n');
	return base;
}

// A fresh browser context (no cookies) on the shop, and its page, watched:
// uncaught exceptions in the page's scripts, console errors (a script or
// style blocked by the Content-Security-Policy reports one) and failed loads
// of anything but the page itself are added to PROBLEMS.
async function watchedPage(js, problems) {
	const b = await browser();
	const context = await b.newContext({
		baseURL: BASE,
		javaScriptEnabled: js,
		viewport: { width: 1280, height: 900 },
		locale: 'en-US',
	});
	context.setDefaultTimeout(15000);
	context.setDefaultNavigationTimeout(30000);
	const page = await context.newPage();
	page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
	// Pages themselves may answer 4xx (a form with errors, a 404 page);
	// what they load (CSS, scripts, images, fetches) must not.
	page.on('console', (m) => {
		if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
			problems.push(`console error: ${m.text()} (${page.url()})`);
	});
	page.on('response', (r) => {
		if (r.status() >= 400 && r.request().resourceType() !== 'document')
			problems.push(`${r.request().resourceType()} ${r.url()} answered ${r.status()} (${page.url()})`);
	});
	// ERR_ABORTED: the page moved on before a load finished (the
	// favicon, after a quick click); not a failure of the site.
	page.on('requestfailed', (r) => {
		if (r.resourceType() !== 'document' && r.failure()?.errorText !== 'net::ERR_ABORTED')
			problems.push(`${r.resourceType()} ${r.url()} failed: ${r.failure()?.errorText} (${page.url()})`);
	});
	return page;
}

// browserTest(name, [options], fn): a node:test test with a fresh browser
// context (no cookies), given its page: fn(page, t, { newPage }). newPage()
// opens another person's browser (a context of its own, no cookies, the
// same JavaScript setting), watched like the first and closed with it.
// Options: js (default true) turns JavaScript on or off; timeout (ms,
// default 90 s); skip. Uncaught exceptions in the page's scripts, console
// errors and failed loads of anything but the page itself fail the test.
// On failure every page is kept under build/test-logs/e2e/.
export function browserTest(name, options, fn) {
	if (typeof options === 'function') {
		fn = options;
		options = {};
	}
	const { js = true, timeout = 90000, skip } = options;
	test(name, { timeout, skip }, async (t) => {
		const problems = [];
		const page = await watchedPage(js, problems);
		const others = [];
		const newPage = async () => {
			const p = await watchedPage(js, problems);
			others.push(p);
			return p;
		};
		try {
			await fn(page, t, { newPage });
			assert.deepEqual(problems, [], 'the browser reported errors');
		} catch (e) {
			const where = await keepArtefacts(name, page, problems);
			e.message += `\n(page kept in ${where.slice(ROOT.length + 1)}.{png,html,txt})`;
			for (const [i, p] of others.entries()) {
				const w = await keepArtefacts(name, p, [], `-${i + 2}`);
				e.message += `\n(the other browser's page kept in ${w.slice(ROOT.length + 1)}.{png,html,txt})`;
			}
			throw e;
		} finally {
			for (const p of [...others, page])
				await p.context().close();
		}
	});
}

// --- pages -----------------------------------------------------------------

// The path (and query) of the page's URL, for comparisons.
export function pathOf(page) {
	const u = new URL(page.url());
	return u.pathname + u.search;
}

// The number in the header's "Cart N".
export async function cartCount(page) {
	return Number((await page.locator('header .cart-count').innerText()).trim());
}

// Waits until the header says "Cart N" (after a form post that stays on
// the same URL, waiting for the URL proves nothing).
export async function waitForCartCount(page, n) {
	await page.locator('header .cart-count').filter({ hasText: new RegExp(`^\\s*${n}\\s*$`) }).waitFor();
	assert.equal(await cartCount(page), n);
}

// Runs axe on the page as it is now and answers its serious and critical
// violations, one readable paragraph each (the rule, its help text, the
// first elements concerned); minor and moderate ones are reported as the
// test's diagnostics. The full result is kept in
// build/test-logs/e2e/axe-NAME.json.
export async function a11yProblems(page, t, name) {
	const results = await new AxeBuilder({ page }).analyze();
	mkdirSync(LOGDIR, { recursive: true });
	writeFileSync(join(LOGDIR, `axe-${slug(name)}.json`), JSON.stringify(results, null, 1));
	const describe = (v) => `${name}: ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
		v.nodes.slice(0, 5).map((n) => `    at ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n');
	const serious = (v) => v.impact === 'serious' || v.impact === 'critical';
	for (const v of results.violations.filter((x) => !serious(x)))
		t.diagnostic(`axe: ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} elements)`);
	for (const v of results.incomplete.filter((x) => x.id !== 'color-contrast'))
		t.diagnostic(`axe: ${name}: to review: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} elements)`);
	// axe files text whose colour equals its background under "incomplete"
	// (it might be hidden on purpose); on this site it is always a bug
	// (a white label on a white button was one). Any contrast axe did
	// measure and found too low counts as a violation.
	const measuredLow = (n) => n.any.some((c) => c.data && c.data.contrastRatio > 0 &&
		c.data.contrastRatio < parseFloat(c.data.expectedContrastRatio));
	const contrast = results.incomplete.filter((v) => v.id === 'color-contrast')
		.map((v) => ({ ...v, nodes: v.nodes.filter(measuredLow) })).filter((v) => v.nodes.length);
	return [...results.violations.filter(serious), ...contrast].map(describe);
}

// Fails the test when axe finds serious or critical problems on the page.
export async function checkA11y(page, t, name) {
	const bad = await a11yProblems(page, t, name);
	assert.equal(bad.length, 0, `axe found serious or critical problems on ${page.url()}:\n${bad.join('\n')}`);
}

// --- the stack's tools -----------------------------------------------------

function run(cmd, args, what) {
	const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
	if (r.error)
		throw new Error(`${what}: ${r.error.message}`);
	if (r.status !== 0)
		throw new Error(`${what} exited with ${r.status}: ${(r.stderr || r.stdout).trim()}`);
	return r.stdout;
}

// bin/shopctl (or $SHOP_BIN/shopctl) against this stack.
export function shopctl(...args) {
	const bin = join(process.env.SHOP_BIN || join(ROOT, 'bin'), 'shopctl');
	return run(bin, args, `shopctl ${args.join(' ')}`);
}

// One SQL query against the stack's MariaDB; the rows as arrays of strings.
export function sql(query) {
	const out = run('mariadb', [`--defaults-file=${join(HOME, 'my.cnf')}`, '-N', '-B', '-e', query,
		process.env.SHOP_DB_NAME || 'shop'], 'mariadb');
	return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// Forgets the per-IP throttles (registrations, sign-ins, reset mails) that
// the tests, all from 127.0.0.1, run into; t/http's harness does the same.
export function clearThrottles() {
	run('redis-cli', ['-s', join(HOME, 'run', 'redis.sock'), 'DEL',
		't:reg:ip:127.0.0.1', 't:login:ip:127.0.0.1', 't:reset:ip:127.0.0.1'], 'redis-cli');
}

// --- accounts --------------------------------------------------------------

let emails = 0;

// An email address no other run uses.
export function freshEmail(prefix) {
	return `${prefix}.${process.pid}.${Date.now()}.${++emails}@example.com`;
}

// Registers through the form at /register (the page must be there or the
// browser anywhere: it goes there). Leaves the browser signed in, on the
// page the shop sends a new account to (the form's `next`, else /account).
export async function registerWithForm(page, { name, email, password = PASSWORD }) {
	clearThrottles();
	if (new URL(page.url()).pathname !== '/register')
		await page.goto('/register');
	await page.getByLabel('Your name').fill(name);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel(/^Password/).fill(password);
	await page.getByRole('button', { name: 'Create account' }).click();
	// A new account is signed in at once and goes where it was going
	// (its `next`, else /account).
	await page.waitForURL((u) => u.pathname !== '/register');
	await page.locator('header').getByRole('link', { name: `Hello, ${name}` }).waitFor();
}

// Signs in through the form at /signin; waits until the header greets the
// person.
export async function signInWithForm(page, { email, password = PASSWORD, name }) {
	clearThrottles();
	if (new URL(page.url()).pathname !== '/signin')
		await page.goto('/signin');
	await page.locator('#si-email').fill(email);
	await page.locator('#si-pw').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('header').getByRole('link', { name: name ? `Hello, ${name}` : /^Hello,/ }).waitFor();
}

// Makes an account over the JSON API with the page's own cookies (faster
// than the form; the form is tested by the shopper scenario). The page must
// be on the shop (any page).
export async function registerWithApi(page, { name, email, password = PASSWORD }) {
	clearThrottles();
	const req = page.context().request;
	const s = await req.get('/api/session');
	assert.equal(s.status(), 200);
	const { csrfToken } = await s.json();
	const r = await req.post('/api/users', {
		headers: { 'X-CSRF-Token': csrfToken, 'Content-Type': 'application/json' },
		data: { name, email, password },
	});
	assert.equal(r.status(), 201, `POST /api/users: ${await r.text()}`);
}

// A seller: an account registered over the API, made a seller by
// `shopctl grant EMAIL seller` (what an operator does; an admin's grant at
// /admin/grant and an approved application at /sell end the same way, see
// t/http/test_roles.c), then signed in through the form. Leaves the page on
// the seller's landing page /seller/. Returns the account.
export async function signInAsNewSeller(page, name = 'Sam Seller') {
	const email = freshEmail('seller');
	await page.goto('/');
	await registerWithApi(page, { name, email });
	shopctl('grant', email, 'seller');
	const rows = sql(`SELECT s.id FROM sellers s JOIN users u ON u.id = s.user_id WHERE u.email = '${email}'`);
	assert.equal(rows.length, 1, `no sellers row for ${email}`);
	await signInWithForm(page, { email, name });
	const r = await page.goto('/seller/');
	assert.equal(r.status(), 200, 'GET /seller/ as a seller');
	return { name, email, password: PASSWORD, sellerId: Number(rows[0][0]) };
}

// A JSON call with the page's cookies and its session's CSRF token (the
// page must be on the shop). OPTIONS go to Playwright's fetch: data (a JSON
// body), multipart (a form with files). Fails unless it answers 2xx;
// answers the JSON.
export async function api(page, method, path, options = {}, headers = {}) {
	const req = page.context().request;
	const { csrfToken } = await (await req.get('/api/session')).json();
	const r = await req.fetch(path, { method, headers: { 'X-CSRF-Token': csrfToken, ...headers }, ...options });
	assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
	return r.json();
}

// An active item of the signed-in seller over POST /api/items (faster than
// the form; seller.test.mjs fills the form): ITEM has name, category and
// skus [{code, price (minor units), quantity, options}]. Answers the item.
export async function createItemWithApi(page, item) {
	return api(page, 'POST', '/api/items', {
		data: { description: 'An item made by the browser tests.', brand: 'E2E Goods', status: 'active', ...item },
	});
}

// A paid order of QUANTITY of the SKU CODE by a new shopper, over the JSON
// API in PAGE's browser (a fresh one): registers, signs in, fills the cart,
// and checks out with the sandbox's test payment method, which confirms it
// at once. Answers the order ({id, status, ...}).
export async function paidOrderWithApi(page, code, quantity = 1) {
	const email = freshEmail('apibuyer');
	await page.goto('/');
	await registerWithApi(page, { name: 'Ann Buyer', email });
	await api(page, 'POST', '/api/session', { data: { email, password: PASSWORD } });
	await api(page, 'PATCH', '/api/cart', { data: { itemId: code, quantity } });
	const order = {
		shippingAddress: { name: 'Ann Buyer', line1: '1 Main St', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
		shippingMethod: 'standard',
	};
	const { amount } = await api(page, 'POST', '/api/checkout/quote', { data: order });
	const placed = await api(page, 'POST', '/api/checkout', { data: { ...order, amount, paymentMethod: 'pm_card_visa' } },
		{ 'Idempotency-Key': `e2e-${email}` });
	assert.equal(placed.status, 'confirmed');
	return placed;
}

// --- shopping ----------------------------------------------------------------

// The first product card on the page whose stock label says it can be
// bought (other suites share the stack and may have sold some out).
export async function firstInStockCard(page) {
	const card = page.locator('li.card').filter({ has: page.locator('.stock-in_stock, .stock-low_stock') }).first();
	await card.waitFor();
	return card;
}

// Searches for QUERY (the results page, not the box), opens the first
// product in stock and adds one to the cart with the product page's form.
// Leaves the browser on /cart; answers the product's title.
export async function addToCartFromSearch(page, query) {
	await page.goto(`/search?q=${encodeURIComponent(query)}`);
	const card = await firstInStockCard(page);
	const title = (await card.locator('.card-title').innerText()).trim();
	await card.locator('a.card-link').click();
	await page.getByRole('heading', { level: 1, name: title }).waitFor();
	await page.getByRole('button', { name: 'Add to cart' }).click();
	await page.waitForURL(/\/cart/);
	return title;
}

// Fills the checkout form's new address with one in New York.
export async function fillNewAddress(page, name) {
	await page.getByLabel('A new address:').check();
	await page.getByLabel('Full name').fill(name);
	await page.getByLabel(/^Address line 1/).fill('1 Main Street');
	await page.getByLabel('City').fill('New York');
	await page.getByLabel(/^Country/).selectOption('US');
	await page.getByLabel(/^State \(US\)/).selectOption('NY');
	await page.getByLabel(/postal code/i).fill('10001');
}

// From /checkout (signed in, something in the cart) to a confirmed order:
// a new address in New York, the first shipping method offered, the
// review, "Place order and pay", the test card on the gateway's page, and
// back on the shop's order page until it says "Confirmed" (the return page
// or the gateway's webhook confirms it, whichever comes first). Answers
// { orderId, total } with the total as the review page showed it.
export async function checkoutAndPay(page, name) {
	await fillNewAddress(page, name);
	const methods = page.getByRole('group', { name: 'Shipping method' }).getByRole('radio', { disabled: false });
	assert.ok(await methods.count() > 0, 'a shipping method is offered');
	await methods.first().check();
	await page.getByRole('button', { name: 'Review your order' }).click();
	await page.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();
	await page.locator('address').getByText('1 Main Street').waitFor();
	const total = (await page.locator('.totals .grand td').innerText()).trim();
	assert.match(total, /\d/);
	await page.getByRole('button', { name: 'Place order and pay' }).click();

	// The gateway's own page (another origin) asks for the same amount.
	await page.waitForURL(/\/pay\/pi_/);
	await page.getByText(total.replace(/^\$/, '')).first().waitFor();
	await payOnGatewayPage(page);
	await page.waitForURL(/\/orders\/\d+$/);
	const orderId = Number(new URL(page.url()).pathname.split('/').pop());
	await page.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
	// Bounded: 20 looks, a quarter of a second apart; nothing is timed.
	const status = page.locator('.order-status');
	for (let i = 0; i < 20 && !/Confirmed/i.test(await status.innerText()); i++) {
		await page.waitForTimeout(250);
		await page.reload();
	}
	assert.match(await status.innerText(), /Confirmed/i);
	return { orderId, total };
}

// A small PNG image (solid colour, WIDTH x HEIGHT) made here, for upload
// forms: a real file that any image decoder accepts, no fixture to ship.
export function testPng(width = 64, height = 64, [r, g, b] = [11, 92, 173]) {
	const crcTable = Array.from({ length: 256 }, (_, n) => {
		let c = n;
		for (let k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		return c >>> 0;
	});
	const crc = (buf) => {
		let c = 0xffffffff;
		for (const byte of buf)
			c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
		return (c ^ 0xffffffff) >>> 0;
	};
	const chunk = (type, data) => {
		const len = Buffer.alloc(4), sum = Buffer.alloc(4), td = Buffer.concat([Buffer.from(type), data]);
		len.writeUInt32BE(data.length);
		sum.writeUInt32BE(crc(td));
		return Buffer.concat([len, td, sum]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 2, 0, 0, 0], 8);	// 8 bits per channel, RGB, no interlace
	const row = Buffer.alloc(1 + width * 3);	// filter byte 0, then pixels
	for (let x = 0; x < width; x++)
		row.set([r, g, b], 1 + x * 3);
	const raw = Buffer.concat(Array(height).fill(row));
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// --- the sandbox gateway's card page ---------------------------------------

// Pays on paygate's hosted page (the browser must be on it) with a test card
// (paygate/README.md: 4242 4242 4242 4242 is approved as visa 4242). The
// gateway then sends the browser back to the shop.
export async function payOnGatewayPage(page, number = '4242 4242 4242 4242') {
	assert.match(new URL(page.url()).pathname, /^\/pay\/pi_/, `not on the gateway's page: ${page.url()}`);
	await page.getByLabel('Card number').fill(number);
	await page.getByLabel('Expiry (MM/YY)').fill('12/34');
	await page.getByLabel('CVC').fill('123');
	await page.getByLabel('Name on card').fill('Pat Shopper');
	await page.getByRole('button', { name: /^Pay / }).click();
	await page.waitForURL((u) => u.origin === new URL(BASE).origin);
}

export { test, assert };
