#!/usr/bin/env python3
"""Write data/sample_export.csv: a realistic, synthetic NPS export (deterministic, seeded).

A subscription business (internet / mobile / TV box) surveys customers after interactions.
About 2,000 responses over 10 ISO weeks, French and English comments written for this
project (not taken from any dataset), segment columns (channel, country, plan, customer
value), contact columns, some empty comments, a few bad rows (score "N/A", "dix", 11, 7.5,
missing score, a resubmitted response id). Customer value columns (drawn with their own
seeded generator, so the columns above are the same as before they existed): "Annual spend"
(monetary, consistent with the "Customer value" tier), "Last order" (a date) and "Orders
(12 months)" (frequency); promoters order a little more often and more recently. A few
value cells are bad ("unknown", a negative amount, a date that is not one): those go to
rejects.csv for the value only, the response still counts in NPS. In week 2026-W43 a network outage hits France:
detractors mentioning the network rise that week, so a weekly run has something to find.

    python3 scripts/gen_sample.py            # writes data/sample_export.csv
    python3 scripts/gen_sample.py --rows 1000000 --out /tmp/big.csv   # bench input
"""
import argparse
import csv
import datetime as dt
import os
import random

SEED = 20261123

# (theme, polarity) -> French and English clauses. Polarity: + praise, - complaint.
CLAUSES = {
    ("price", "-"): {
        "fr": ["le prix a encore augmenté", "trop cher pour ce que c'est", "l'abonnement est hors de prix",
               "les tarifs ont pris 5 euros sans prévenir", "c'est plus cher que chez les concurrents",
               "la promo de départ a disparu et la facture a doublé"],
        "en": ["the price went up again", "too expensive for what you get", "the subscription is overpriced",
               "prices rose by 5 pounds without warning", "it costs more than the competition",
               "the intro offer ended and my bill doubled"],
    },
    ("price", "+"): {
        "fr": ["le rapport qualité prix est imbattable", "prix raisonnable", "l'offre est vraiment pas chère"],
        "en": ["great value for money", "fair price", "the plan is really affordable"],
    },
    ("billing", "-"): {
        "fr": ["j'ai été facturé deux fois ce mois-ci", "la facture est incompréhensible",
               "on m'a prélevé des frais que je n'avais pas demandés", "toujours pas remboursé après trois mois",
               "erreur de facturation jamais corrigée"],
        "en": ["I was billed twice this month", "the invoice is impossible to understand",
               "I was charged for options I never asked for", "still no refund after three months",
               "a billing error that was never fixed"],
    },
    ("billing", "+"): {
        "fr": ["facture claire", "le remboursement a été rapide"],
        "en": ["clear billing", "the refund was quick"],
    },
    ("support_wait", "-"): {
        "fr": ["45 minutes d'attente au téléphone", "impossible de joindre le service client",
               "personne ne répond aux mails", "j'attends un rappel depuis une semaine",
               "le chat ne répond jamais"],
        "en": ["45 minutes on hold", "impossible to reach customer service", "nobody answers emails",
               "still waiting for a call back after a week", "the chat never answers"],
    },
    ("support_wait", "+"): {
        "fr": ["réponse rapide du service client", "on m'a rappelé dans l'heure"],
        "en": ["customer service answered quickly", "they called me back within the hour"],
    },
    ("support_skill", "-"): {
        "fr": ["le conseiller ne connaissait pas son sujet", "on m'a donné trois réponses différentes",
               "le problème n'est toujours pas résolu", "on me renvoie d'un service à l'autre"],
        "en": ["the agent had no idea what he was doing", "I got three different answers",
               "the problem is still not solved", "I keep getting transferred between departments"],
    },
    ("support_skill", "+"): {
        "fr": ["le conseiller a résolu mon problème en cinq minutes", "technicien très compétent",
               "Julie au service client a été parfaite"],
        "en": ["the agent fixed my issue in five minutes", "very knowledgeable technician",
               "Sarah from support was brilliant"],
    },
    ("staff", "+"): {
        "fr": ["personnel très aimable", "vendeur souriant et de bon conseil", "accueil chaleureux en boutique",
               "équipe à l'écoute"],
        "en": ["very friendly staff", "the shop assistant was helpful and polite", "warm welcome in store",
               "the team really listens"],
    },
    ("staff", "-"): {
        "fr": ["vendeur désagréable", "accueil froid en boutique"],
        "en": ["rude shop assistant", "unfriendly welcome in store"],
    },
    ("quality", "+"): {
        "fr": ["la box fonctionne parfaitement", "produit de très bonne qualité", "aucune coupure depuis un an",
               "le décodeur est rapide et fiable"],
        "en": ["the box works perfectly", "really good quality product", "not a single outage in a year",
               "the set-top box is fast and reliable"],
    },
    ("quality", "-"): {
        "fr": ["la box redémarre toute seule", "le décodeur plante tous les soirs", "matériel de mauvaise qualité"],
        "en": ["the router keeps rebooting", "the set-top box crashes every evening", "poor quality hardware"],
    },
    ("network", "-"): {
        "fr": ["coupures internet à répétition", "pas de réseau à la maison", "le débit est catastrophique le soir",
               "panne de trois jours sans explication", "la fibre tombe tous les jours"],
        "en": ["constant internet drop-outs", "no signal at home", "the speed is terrible in the evening",
               "a three-day outage with no explanation", "the fibre goes down every day"],
    },
    ("network", "+"): {
        "fr": ["très bon débit", "réseau stable", "la fibre est ultra rapide"],
        "en": ["great speed", "stable network", "the fibre is super fast"],
    },
    ("delivery", "-"): {
        "fr": ["installation repoussée trois fois", "le technicien n'est jamais venu", "colis livré avec deux semaines de retard"],
        "en": ["installation postponed three times", "the technician never showed up", "the parcel arrived two weeks late"],
    },
    ("delivery", "+"): {
        "fr": ["livraison rapide", "installation faite en une heure", "technicien ponctuel et propre"],
        "en": ["fast delivery", "installed in an hour", "the engineer was on time and tidy"],
    },
    ("app", "-"): {
        "fr": ["l'application plante à chaque mise à jour", "impossible de me connecter à l'appli",
               "le site bugue au moment de payer", "l'appli est lente et mal faite"],
        "en": ["the app crashes after every update", "I can't log in to the app", "the website fails at checkout",
               "the app is slow and clunky"],
    },
    ("app", "+"): {
        "fr": ["l'appli est pratique", "tout se gère facilement depuis l'application"],
        "en": ["the app is handy", "everything is easy to manage in the app"],
    },
    ("contract", "-"): {
        "fr": ["impossible de résilier", "on m'a réengagé sans me demander", "les frais de résiliation sont abusifs",
               "je vais résilier dès la fin de l'engagement", "je pars chez la concurrence"],
        "en": ["impossible to cancel", "they renewed my contract without asking", "the cancellation fee is outrageous",
               "I will cancel as soon as my contract ends", "I'm switching to another provider"],
    },
    ("communication", "-"): {
        "fr": ["trop de mails publicitaires", "aucune information pendant la panne", "on n'est jamais prévenu des changements"],
        "en": ["far too many marketing emails", "no information during the outage", "changes are never announced"],
    },
    ("communication", "+"): {
        "fr": ["bien informé à chaque étape", "les SMS de suivi sont utiles"],
        "en": ["kept informed at every step", "the tracking texts are useful"],
    },
}

SHORT = {
    "+": {"fr": ["Très bien", "RAS", "Parfait", "Rien à dire", "Très satisfait", "Top", "Super service", "Merci"],
          "en": ["Very good", "Good service", "Great", "All good", "Excellent", "Happy customer", "Love it", "Thanks"]},
    "0": {"fr": ["Correct", "Pas mal", "Moyen", "ok", "Ça va", "Peut mieux faire"],
          "en": ["OK", "Fine", "Average", "ok", "Not bad", "Could be better"]},
    "-": {"fr": ["Nul", "Très déçu", "Pas terrible", "Je ne recommande pas", "À fuir"],
          "en": ["Terrible", "Very disappointed", "Not great", "Would not recommend", "Avoid"]},
}
CONNECT = {"fr": [" mais ", ". Par contre ", ", cependant ", ". Mais "], "en": [" but ", ". However ", ", though ", ". But "]}
ENDINGS = {
    "-": {"fr": [". Inadmissible.", ", vraiment déçu.", ". Je ne recommande pas.", "."],
          "en": [". Unacceptable.", ", really disappointed.", ". Would not recommend.", "."]},
    "+": {"fr": [", merci !", ". Continuez comme ça.", ".", " !"], "en": [", thanks!", ". Keep it up.", ".", "!"]},
}

COUNTRIES = [("France", "fr", 0.55), ("Belgique", "fr", 0.1), ("Canada", None, 0.1), ("United Kingdom", "en", 0.17),
             ("Ireland", "en", 0.08)]
CHANNELS = [("Email", 0.4), ("App", 0.25), ("Web", 0.15), ("Store", 0.1), ("Phone", 0.1)]
PLANS = [("Basic", 0.35), ("Standard", 0.35), ("Premium", 0.2), ("Business", 0.1)]
VALUES = [("Low", 0.4), ("Medium", 0.4), ("High", 0.2)]
FIRST = ["Camille", "Léa", "Hugo", "Lucas", "Chloé", "Nathan", "Emma", "Louis", "Olivia", "James", "Amelia",
         "Jack", "Sophie", "Noah", "Isla", "Thomas"]
LAST = ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Smith", "Jones", "Taylor", "Brown", "Murphy",
        "Roy", "Tremblay", "Lefebvre", "Walsh"]


def pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for item in weighted:
        acc += item[-1]
        if r < acc:
            return item
    return weighted[-1]


def score_for(rng, plan, value, outage):
    # Base distribution: ~45 % promoters, ~30 % passives, ~25 % detractors.
    u = rng.random()
    shift = {"Basic": 0.05, "Standard": 0.0, "Premium": -0.05, "Business": 0.03}[plan]
    shift += {"Low": 0.03, "Medium": 0.0, "High": -0.04}[value]
    shift += 0.15 if outage else 0.0
    u = min(max(u + shift, 0.0), 0.9999)
    if u < 0.45:
        return rng.choice([9, 9, 10, 10, 10])
    if u < 0.73:
        return rng.choice([7, 8, 8])
    return rng.choice([0, 1, 2, 3, 3, 4, 5, 5, 6, 6])


def themes_for(rng, score, outage):
    neg = ["price", "billing", "support_wait", "support_skill", "network", "delivery", "app", "contract",
           "communication", "quality", "staff"]
    negw = [0.18, 0.1, 0.15, 0.08, 0.12, 0.06, 0.1, 0.07, 0.05, 0.06, 0.03]
    pos = ["staff", "quality", "network", "support_skill", "delivery", "price", "app", "support_wait",
           "communication", "billing"]
    posw = [0.2, 0.18, 0.14, 0.14, 0.1, 0.08, 0.07, 0.04, 0.03, 0.02]
    if outage:
        negw = [w * (6 if t == "network" else 1) for t, w in zip(neg, negw)]
    def draw(names, weights):
        return rng.choices(names, weights=weights)[0]
    if score <= 6:
        main = [(draw(neg, negw), "-")]
        if rng.random() < 0.3:
            main.append((draw(neg, negw), "-"))
        if rng.random() < 0.2:
            main.append((draw(pos, posw), "+"))
    elif score <= 8:
        main = [(draw(pos, posw), "+"), (draw(neg, negw), "-")] if rng.random() < 0.6 else [(draw(neg, negw), "-")]
    else:
        main = [(draw(pos, posw), "+")]
        if rng.random() < 0.25:
            main.append((draw(pos, posw), "+"))
        if rng.random() < 0.12:
            main.append((draw(neg, negw), "-"))
    seen, out = set(), []
    for t in main:
        if t[0] not in seen:
            seen.add(t[0])
            out.append(t)
    return out


def comment_for(rng, lang, score, outage):
    r = rng.random()
    if r < 0.14:
        return ""
    if r < 0.30:
        mood = "+" if score >= 9 else ("0" if score >= 7 else "-")
        return rng.choice(SHORT[mood][lang])
    parts = themes_for(rng, score, outage)
    # Praise first, complaint after a contrast marker: "bien mais cher".
    parts.sort(key=lambda p: p[1] == "-")
    text = ""
    for i, (theme, pol) in enumerate(parts):
        clause = rng.choice(CLAUSES[(theme, pol)][lang])
        if i == 0:
            text = clause[0].upper() + clause[1:]
        elif parts[i - 1][1] != pol:
            text += rng.choice(CONNECT[lang]) + clause
        else:
            text += (", et " if lang == "fr" else ", and ") + clause
    text += rng.choice(ENDINGS["-" if score <= 6 else "+"][lang])
    if score <= 4 and rng.random() < 0.25:
        extra = {"fr": [" J'ai appelé quatre fois, envoyé deux courriers et personne n'a pris la peine de me répondre "
                        "correctement. Si rien ne change d'ici la fin du mois, je résilie.",
                        " Client depuis huit ans, je n'ai jamais vu un service se dégrader autant."],
                 "en": [" I called four times, sent two letters and nobody bothered to give me a proper answer. "
                        "If nothing changes by the end of the month I will cancel.",
                        " I have been a customer for eight years and never seen service get this bad."]}
        text += rng.choice(extra[lang])
    return text.replace("..", ".").replace("!.", "!")


def generate(rows, seed):
    rng = random.Random(seed)
    start = dt.datetime(2026, 9, 14, 8, 0)  # Monday of 2026-W38; 10 weeks to 2026-W47
    span = 10 * 7 * 24 * 3600
    out = []
    for i in range(rows):
        when = start + dt.timedelta(seconds=int(rng.random() * span))
        country, lang, _ = pick(rng, COUNTRIES)
        if lang is None:
            lang = "fr" if rng.random() < 0.6 else "en"
        channel = pick(rng, CHANNELS)[0]
        plan = pick(rng, PLANS)[0]
        value = pick(rng, VALUES)[0]
        week = when.isocalendar()[1]
        outage = country == "France" and week == 43 and rng.random() < 0.5
        score = score_for(rng, plan, value, outage)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = "example.fr" if lang == "fr" else "example.com"
        out.append({
            "Response ID": f"R_{seed % 1000:03d}{i:07d}",
            "Submitted At": when.strftime("%d/%m/%Y %H:%M"),
            "Customer ID": f"C{rng.randrange(10_000, 99_999)}",
            "Email": f"{first.lower()}.{last.lower()}@{domain}".replace("é", "e").replace("ï", "i"),
            "How likely are you to recommend us to a friend or colleague?": str(score),
            "What is the main reason for your score?": comment_for(rng, lang, score, outage),
            "Channel": channel,
            "Country": country,
            "Plan": plan,
            "Customer value": value,
        })
    return rng, out


SPEND = {"Low": (5.0, 0.6), "Medium": (6.6, 0.35), "High": (7.7, 0.35)}  # lognormal (mu, sigma) per tier


def add_value_columns(rows, seed):
    """Annual spend, last order date and orders in 12 months, from a generator of their own."""
    vrng = random.Random(seed + 19)
    key = "How likely are you to recommend us to a friend or colleague?"
    for row in rows:
        score = int(row[key])
        mu, sigma = SPEND[row["Customer value"]]
        # Promoters spend and order a little more, and more recently.
        lift = 0.15 if score >= 9 else (-0.15 if score <= 6 else 0.0)
        spend = vrng.lognormvariate(mu + lift, sigma)
        answered = dt.datetime.strptime(row["Submitted At"], "%d/%m/%Y %H:%M").date()
        mean_days = 25 if score >= 9 else (45 if score >= 7 else 75)
        days = min(int(vrng.expovariate(1 / mean_days)), 360)
        orders = max(1, int(vrng.gammavariate(2.0, 3.0 if score >= 9 else 2.0) * (1.4 if row["Customer value"] == "High" else 1.0)))
        row["Annual spend"] = f"{spend:.2f}"
        row["Last order"] = (answered - dt.timedelta(days=days)).isoformat()
        row["Orders (12 months)"] = str(orders)


def add_bad_values(seed, rows):
    """Value cells a real CRM join gives: text, a negative amount, a date that is not one."""
    vrng = random.Random(seed + 20)
    key = "How likely are you to recommend us to a friend or colleague?"
    resubmitted = rows[-1]["Response ID"]
    valid = [i for i, r in enumerate(rows[:-1])
             if r[key].isdigit() and 0 <= int(r[key]) <= 10 and r["Response ID"] != resubmitted]
    picks = vrng.sample(valid, 4)
    rows[picks[0]]["Annual spend"] = "unknown"
    rows[picks[1]]["Annual spend"] = "-250.00"
    rows[picks[2]]["Annual spend"] = ""
    rows[picks[3]]["Last order"] = "soon"


def add_bad_rows(rng, rows):
    """A few rows a real export has: unusable scores and one resubmission."""
    key = "How likely are you to recommend us to a friend or colleague?"
    for idx, bad in zip(rng.sample(range(len(rows)), 6), ["N/A", "dix", "11", "7.5", "", "-1"]):
        rows[idx][key] = bad
    dup = dict(rows[rng.randrange(len(rows))])
    dup["What is the main reason for your score?"] = (dup["What is the main reason for your score?"] + " (edited)").strip()
    rows.append(dup)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "sample_export.csv"))
    ap.add_argument("--no-bad-rows", action="store_true")
    args = ap.parse_args()
    rng, rows = generate(args.rows, args.seed)
    add_value_columns(rows, args.seed)
    if not args.no_bad_rows:
        add_bad_rows(rng, rows)
        add_bad_values(args.seed, rows)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
