"""What the simulated people and bots say, and what they are called.

Personal data is distinctive on purpose, so that tests can prove none of it reaches the
warehouse. The rendering SQL reads these lists as parameters.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Lucía", "Mateo", "Valentina", "Higinio", "Ximena", "Brunilda", "Olivia", "Thiago",
    "Harper", "Elijah", "Madison", "Brayden", "Kaylee", "Jaxon", "Yuzuki", "Haruto",
    "Sakura", "Rentaro", "Matilda", "Lachlan", "Ottilie", "Hamish", "Zuleika", "Oisín",
)  # fmt: skip
LAST_NAMES = (
    "Quintanilla", "Berenguer", "Zubizarreta", "Villalobos", "Etxeberria", "Castellví",
    "Montgomery", "Whitfield", "Kowalczyk", "Abernathy", "Takahashi", "Yamaguchi",
    "Nakamura", "Fitzgerald", "McAllister", "Pemberton", "Ravensworth", "Okonkwo",
)  # fmt: skip
USER_TEXTS = (
    "Hola, mi pedido {n} todavía no ha llegado a Zaragoza",
    "Where is my parcel {n}? Tracking says out for delivery since Monday",
    "Quiero cambiar la dirección de envío del pedido {n}, por favor",
    "Can I get a refund for order {n}? The blender arrived cracked",
    "注文{n}の配送状況を教えてください",
    "My invoice {n} shows the wrong VAT number for Quokka Labs",
    "¿Tenéis la talla M del modelo {n} en azul marino?",
    "The app crashes whenever I upload receipt {n} from my phone",
    "Necesito hablar con un agente sobre la factura {n} duplicada",
    "Is the warranty for serial number {n} still valid after the move?",
    "Gracias, ya está resuelto lo del ticket {n}",
    "How do I reset the password of account {n} without the old email?",
)  # fmt: skip
BOT_TEXTS = (
    "Gracias por escribirnos, estoy revisando el caso {n}",
    "Thanks! I have opened ticket {n} for you",
    "Claro, te paso con un agente. Tu referencia es {n}",
    "Done: your request {n} is now with our billing team",
    "承知しました。お問い合わせ番号は{n}です",
)  # fmt: skip
BUTTON_TITLES = ("Track my order", "Hablar con un agente", "Return an item", "Ver mis facturas")
EMOJIS = ("👍", "❤️", "😮", "🙏")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/17.6 Safari",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0.0.0 Mobile",
)
