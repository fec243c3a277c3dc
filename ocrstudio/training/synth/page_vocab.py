"""What receipts, forms, documents and screens say: shop names, items, amounts, codes,
dates, form field labels, running sentences and UI words. Short tokens ("RM", "1", "x2",
"NO.", "11,") are common here on purpose: real receipts are full of them."""

from __future__ import annotations

import string

import numpy as np

from ocrstudio.training.synth.vocab import english_words

Rng = np.random.Generator

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
CURRENCY = ("RM", "$", "USD", "EUR", "GBP", "S$", "Rs", "")
SHOP_SUFFIX = ("SDN BHD", "SDN. BHD.", "ENTERPRISE", "TRADING", "STORE", "MART", "CAFE",
               "RESTAURANT", "LTD", "INC.", "& CO.", "BAKERY", "PHARMACY", "HARDWARE",
               "SUPERMARKET", "FOOD COURT", "(M) SDN BHD", "KEDAI", "MINI MARKET")  # fmt: skip
STREETS = ("JALAN", "JLN", "ROAD", "RD", "STREET", "ST", "AVENUE", "AVE", "LORONG", "TAMAN",
           "PERSIARAN", "LANE", "BLVD", "LOT", "BLOCK", "NO.")  # fmt: skip
RECEIPT_TITLES = ("TAX INVOICE", "RECEIPT", "CASH SALES", "INVOICE", "CASH BILL", "BILL",
                  "SIMPLIFIED TAX INVOICE", "OFFICIAL RECEIPT", "SALES RECEIPT")  # fmt: skip
META_LABELS = ("Date:", "Time:", "Invoice No:", "Receipt No:", "Bill No:", "Cashier:",
               "Table:", "Pax:", "Counter:", "Doc No:", "Member:", "Order #", "Terminal:",
               "NO.", "Ref:", "Served by:", "POS:", "Trans:")  # fmt: skip
ITEM_HEADERS = (("ITEM", "QTY", "PRICE", "AMT"), ("Description", "Qty", "U.P", "Amount"),
                ("DESC", "QTY", "RM", "TOTAL"), ("Item", "Qty", "Price", "Total"),
                ("CODE/DESC", "QTY", "U/P", "AMOUNT"))  # fmt: skip
TOTALS = ("SUB TOTAL", "Subtotal", "TOTAL", "Total", "GRAND TOTAL", "NET TOTAL", "ROUNDING",
          "Rounding Adj", "DISCOUNT", "CASH", "Cash", "CHANGE", "Change", "TENDERED",
          "VISA", "MASTER", "CREDIT CARD", "Total Incl. GST", "Service Charge", "TAX",
          "GST 6%", "SST 10%", "Total Qty", "Item(s)", "BALANCE", "Amount Due")  # fmt: skip
TAX_CODES = ("SR", "ZR", "S", "Z", "T", "E", "*", "N")
FOOTERS = ("THANK YOU", "PLEASE COME AGAIN", "THANK YOU FOR SHOPPING WITH US",
           "GOODS SOLD ARE NOT RETURNABLE", "*** CUSTOMER COPY ***", "HAVE A NICE DAY",
           "Thank you & see you again", "Keep this receipt for exchange", "NO REFUND",
           "Powered by POS", "Visit us at", "GST SUMMARY", "Closed Bill",
           "Exchange within 7 days with receipt")  # fmt: skip
FORM_TITLES = ("APPLICATION FORM", "REGISTRATION FORM", "ORDER FORM", "REQUEST FORM",
               "FAX TRANSMITTAL", "MEMORANDUM", "EXPENSE REPORT", "PURCHASE ORDER",
               "CLAIM FORM", "INSPECTION REPORT", "DELIVERY NOTE", "QUOTATION",
               "CHANGE REQUEST", "PERSONNEL ACTION", "PROJECT APPROVAL")  # fmt: skip
FIELD_LABELS = ("Name:", "Address:", "DATE", "Date:", "TO:", "FROM:", "RE:", "CC:",
                "SUBJECT:", "Phone:", "Fax:", "Tel:", "Signature", "Title:", "Company:",
                "Department:", "No. of Pages", "Account No.", "Brand:", "Comments:",
                "Approved by:", "City", "State", "Zip", "E-mail:", "Position:", "Code",
                "Amount:", "Total", "Qty", "Remarks", "Ref. No.", "ID", "Sex", "Age",
                "Date of Birth", "Reason", "Budget", "Product:", "Region", "Period:",
                "Prepared by", "Dept.", "Ext.", "Job No.", "Vendor", "P.O. No.")  # fmt: skip
CHECK_OPTIONS = ("Yes", "No", "Male", "Female", "N/A", "Other", "New", "Renewal", "Cash",
                 "Cheque", "Card", "Urgent", "Normal", "Approved", "Rejected", "A", "B",
                 "C", "Single", "Married", "Full", "Part")  # fmt: skip
MENUS = ("File", "Edit", "View", "Insert", "Format", "Tools", "Help", "Window", "Go", "Run",
         "Terminal", "Selection", "History", "Bookmarks", "Image", "Layer", "Select",
         "Filter", "Table", "Data", "Review", "Home", "Design", "Layout")  # fmt: skip
BUTTONS = ("OK", "Cancel", "Save", "Submit", "Sign in", "Log in", "Search", "Next", "Back",
           "Apply", "Close", "Delete", "Share", "Download", "Subscribe", "Buy now",
           "Learn more", "Add to cart", "Continue", "Sign up", "Send", "Edit", "Open",
           "Reply", "Follow", "Upload", "Retry", "Done", "Yes", "No", "Got it", "Skip",
           "Accept", "Reject", "Update", "Install", "Export", "Import", "Go")  # fmt: skip
NAV = ("Home", "About", "Products", "Blog", "Contact", "Settings", "Profile", "Messages",
       "Inbox", "Sent", "Drafts", "Archive", "Trash", "Dashboard", "Reports", "Users",
       "Account", "Orders", "Help", "FAQ", "News", "Pricing", "Docs", "Explore", "Library",
       "Photos", "Music", "Videos", "Calendar", "Contacts", "Notes", "Files", "Search")  # fmt: skip
TLDS = ("com", "org", "net", "io", "co.uk", "my", "de", "edu", "gov")


# Web-frequency words a shop, form or screen would not print (and a person reviewing the
# rendered pages should not have to read); drawn again when hit.
_UNPRINTED = frozenset((
    "sex", "sexy", "porn", "rape", "nude", "naked", "xxx", "fuck", "shit", "babes", "slut",
    "anal", "penis", "vagina", "vaginas", "nipples", "boobs", "cock", "dick", "bitch",
    "bitches", "whore", "erotic", "fetish",
))  # fmt: skip


def word(rng: Rng, top: int = 3000) -> str:
    """A dictionary word, Zipf-ish: the commonest `top` words 70% of the time."""
    words = english_words()
    for _ in range(8):
        hi = min(top, len(words)) if rng.random() < 0.7 else len(words)
        w = words[int(rng.integers(0, hi))]
        if w not in _UNPRINTED:
            return w
    return "the"


def pick(rng: Rng, items: tuple[str, ...]) -> str:
    return items[int(rng.integers(0, len(items)))]


def pick_row(rng: Rng, rows: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return rows[int(rng.integers(0, len(rows)))]


def cased(rng: Rng, words: list[str], upper: float = 0.3, title: float = 0.4) -> list[str]:
    r = rng.random()
    if r < upper:
        return [w.upper() for w in words]
    if r < upper + title:
        return [w.capitalize() for w in words]
    return words


def amount(rng: Rng, hi: float = 200.0) -> str:
    """A price: 12.50, 1,234.00, 0.90 (log-uniform, cents common in .00/.50/.90)."""
    v = float(np.exp(rng.uniform(np.log(0.5), np.log(hi))))
    cents = rng.choice([0.0, 0.5, 0.9, 0.05, float(rng.integers(0, 100)) / 100])
    v = np.floor(v) + float(cents)
    return f"{v:,.2f}" if rng.random() < 0.7 else f"{v:.2f}"


def priced(rng: Rng, hi: float = 200.0) -> list[str]:
    """An amount, sometimes with its currency as its own word ("RM 12.50") or stuck on."""
    a, cur = amount(rng, hi), pick(rng, CURRENCY)
    r = rng.random()
    if not cur or r < 0.55:
        return [a]
    return [cur, a] if r < 0.8 else [cur + a]


def qty(rng: Rng) -> str:
    n = int(rng.integers(1, 4)) if rng.random() < 0.8 else int(rng.integers(1, 25))
    return pick(rng, (f"{n}", f"{n}", f"x{n}", f"{n}x", f"{n}.00", f"X{n}"))


def date(rng: Rng) -> str:
    d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(1990, 2031))
    k = int(rng.integers(0, 6))
    if k == 0:
        return f"{d:02d}/{m:02d}/{y}"
    if k == 1:
        return f"{y}-{m:02d}-{d:02d}"
    if k == 2:
        return f"{d:02d}-{MONTHS[m - 1]}-{y % 100:02d}"
    if k == 3:
        return f"{d}/{m}/{y % 100:02d}"
    if k == 4:
        return f"{d:02d}.{m:02d}.{y}"
    return f"{m:02d}/{d:02d}/{y}"


def clock(rng: Rng) -> str:
    h, mi, s = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    return pick(rng, (f"{h:02d}:{mi:02d}", f"{h:02d}:{mi:02d}:{s:02d}", f"{h % 12 + 1}:{mi:02d}"))


def code(rng: Rng, n: tuple[int, int] = (4, 10)) -> str:
    """An invoice, item or reference number: CS00012345, INV-2018/0012, #1234, 9556001."""
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, int(rng.integers(*n))))
    prefix = "".join(pick(rng, tuple(string.ascii_uppercase)) for _ in range(rng.integers(0, 4)))
    k = int(rng.integers(0, 5))
    if k == 0:
        return prefix + digits
    if k == 1:
        return f"{prefix or 'INV'}-{digits[:4]}/{digits[4:] or '01'}"
    if k == 2:
        return f"#{digits}"
    return digits


def phone(rng: Rng) -> str:
    a, b, c = (int(rng.integers(10 ** (k - 1), 10**k)) for k in (2, 4, 4))
    return pick(rng, (f"0{a % 10}-{b} {c}", f"({a:02d}) {b}-{c}", f"+{a} {b} {c}", f"{a}-{b}{c}"))


def shop_name(rng: Rng) -> list[str]:
    words = [word(rng, 2000).upper() for _ in range(int(rng.integers(1, 3)))]
    if rng.random() < 0.7:
        words += pick(rng, SHOP_SUFFIX).split()
    return words


def address_lines(rng: Rng) -> list[list[str]]:
    """1-3 address lines: "NO. 11, JALAN WORD 3/2," "47100 CITY, STATE"."""
    first = [f"{int(rng.integers(1, 300))},", pick(rng, STREETS), word(rng).upper()]
    if rng.random() < 0.5:
        first.insert(0, "NO.")
    if rng.random() < 0.5:
        first.append(f"{int(rng.integers(1, 30))}/{int(rng.integers(1, 12))},")
    lines = [first]
    if rng.random() < 0.6:
        lines.append([pick(rng, ("TAMAN", "SEKSYEN", "BANDAR", "KAWASAN")), word(rng).upper()])
    lines.append([f"{int(rng.integers(10000, 99999))}", word(rng).upper() + ",",
                  word(rng, 800).upper() + "."])  # fmt: skip
    return lines


def item_name(rng: Rng, max_words: int = 4) -> list[str]:
    words = [word(rng, 2500) for _ in range(int(rng.integers(1, max_words + 1)))]
    words = cased(rng, words, upper=0.6, title=0.3)
    if rng.random() < 0.3:
        words.append(pick(rng, ("500G", "1KG", "330ML", "1.5L", "(L)", "(M)", "2S", "10'S")))
    if rng.random() < 0.15:
        words.insert(0, code(rng, (3, 6)))
    return words


def words(rng: Rng, lo: int, hi: int, upper: float = 0.3, title: float = 0.4) -> list[str]:
    """`lo` to `hi` dictionary words, all in one case style."""
    return cased(rng, [word(rng) for _ in range(int(rng.integers(lo, hi + 1)))], upper, title)


def sentence(rng: Rng, n: int) -> list[str]:
    """`n` words of running text, capitalised at the start, commas now and then, ending
    with a full stop."""
    words = [word(rng, 1500) for _ in range(max(1, n))]
    words[0] = words[0].capitalize()
    for i in range(len(words) - 1):
        if rng.random() < 0.07:
            words[i] += ","
        elif rng.random() < 0.03:
            words[i + 1] = words[i + 1].capitalize()
        elif rng.random() < 0.03:
            words[i] = pick(rng, (date(rng), amount(rng), str(int(rng.integers(1, 100)))))
    words[-1] += pick(rng, (".", ".", ".", ":", "?", ";"))
    return words


def person(rng: Rng) -> list[str]:
    return [word(rng, 6000).capitalize() for _ in range(int(rng.integers(2, 4)))]


def url(rng: Rng) -> str:
    path = "/".join(word(rng) for _ in range(int(rng.integers(0, 3))))
    host = f"{'www.' if rng.random() < 0.5 else ''}{word(rng)}{word(rng)}.{pick(rng, TLDS)}"
    return f"{'https://' if rng.random() < 0.6 else ''}{host}{'/' + path if path else ''}"
