#!/usr/bin/env python3
"""Write data/sentiment/feedback_fr_en.csv: labelled customer-feedback sentences, French
and English, written for this project (original text, MIT like the rest of the repo).

Columns: text, sentiment (negative / neutral / positive), language. Sentences are built
from hand-written aspects and opinions about services, products, shops, restaurants, apps
and deliveries, with the negations and idioms feedback uses ("pas terrible", "not bad",
"je ne recommande pas", "rien à redire"). Deterministic (seeded).

    python3 scripts/gen_sentiment_data.py
"""
import csv
import os
import random

SEED = 5

ASPECTS = {
    "fr": ["le service", "le service client", "l'accueil", "le personnel", "le conseiller", "la livraison",
           "l'installation", "le produit", "la qualité", "le prix", "la facture", "l'application", "le site",
           "la connexion", "le réseau", "la box", "le repas", "la nourriture", "le plat", "le serveur",
           "l'ambiance", "le cadre", "la chambre", "le magasin", "la boutique", "le technicien", "le SAV",
           "l'abonnement", "l'offre", "le délai", "la réponse", "le suivi", "la commande", "le dessert",
           "la carte", "le vendeur", "l'équipe", "le rapport qualité prix", "la hotline", "le colis"],
    "en": ["the service", "customer service", "the welcome", "the staff", "the agent", "the delivery",
           "the installation", "the product", "the quality", "the price", "the bill", "the app", "the website",
           "the connection", "the network", "the router", "the meal", "the food", "the dish", "the waiter",
           "the atmosphere", "the setting", "the room", "the shop", "the store", "the technician", "support",
           "the subscription", "the offer", "the waiting time", "the answer", "the follow-up", "the order",
           "the dessert", "the menu", "the salesperson", "the team", "value for money", "the hotline", "the parcel"],
}

OPINIONS = {
    ("fr", "positive"): ["est excellent", "était parfait", "est vraiment top", "m'a beaucoup plu", "est au top",
                         "est irréprochable", "était impeccable", "est super", "est très agréable", "était rapide et efficace",
                         "est de grande qualité", "est génial", "mérite cinq étoiles", "était vraiment bien",
                         "est toujours aussi bon", "a dépassé mes attentes", "est très pro", "est simple et efficace"],
    ("fr", "negative"): ["est décevant", "laisse à désirer", "est nul", "n'est pas à la hauteur", "était froid",
                         "est beaucoup trop cher", "est catastrophique", "était lamentable", "est une honte",
                         "ne fonctionne pas", "est inexistant", "était très lent", "est pas terrible",
                         "m'a beaucoup déçu", "est inadmissible", "n'est pas du tout au niveau", "est de pire en pire",
                         "ne vaut pas le prix"],
    ("fr", "neutral"): ["est correct", "est dans la moyenne", "est comme d'habitude", "est classique",
                        "est standard", "était conforme à la description", "n'appelle pas de remarque particulière"],
    ("en", "positive"): ["is excellent", "was perfect", "is really great", "was lovely", "is top notch",
                         "was spotless", "is superb", "is very pleasant", "was quick and efficient", "is high quality",
                         "is brilliant", "deserves five stars", "was really good", "is as good as ever",
                         "exceeded my expectations", "is very professional", "is simple and works well", "was amazing"],
    ("en", "negative"): ["is disappointing", "leaves a lot to be desired", "is useless", "is not up to scratch",
                         "was cold", "is far too expensive", "is a disaster", "was terrible", "is a disgrace",
                         "does not work", "is non-existent", "was very slow", "is not great", "really let me down",
                         "is unacceptable", "is nowhere near good enough", "keeps getting worse", "is not worth the money"],
    ("en", "neutral"): ["is okay", "is average", "is as usual", "is standard", "is fairly ordinary",
                        "was as described", "calls for no particular comment"],
}

# Whole sentences, the way people write feedback.
SENTENCES = {
    ("fr", "positive"): [
        "Pas mal", "Pas mal, merci", "Pas cher et efficace", "Pas de problème, tout est parfait", "Pas déçu du tout", "Jamais déçu", "Rien à signaler, tout va bien", "Aucun reproche",
        "Le repas était délicieux du début à la fin", "Les plats sont copieux et savoureux", "Une adresse à retenir", "Le personnel est aux petits soins", "Chambre propre et lit confortable", "Des produits frais et bien présentés", "Le conseiller a pris le temps de tout m'expliquer", "Installation rapide, le technicien était très sympa", "Une équipe souriante et disponible", "Les prix sont raisonnables pour la qualité", "Je suis fidèle depuis des années et je ne regrette pas", "Application claire et facile à utiliser", "Enfin un opérateur qui tient ses promesses", "Le débit est excellent, même le soir", "Très bonne ambiance, on s'y sent bien", "Le remboursement est arrivé en deux jours", "Excellent accueil, nous reviendrons", "Service rapide et efficace", "Un sans-faute", "Rien à redire, tout était parfait", "Je suis conquis", "On ne peut pas faire mieux", "Les desserts sont une merveille", "Le suivi de commande est très pratique", "Un vendeur compétent qui connaît ses produits", "Bon rapport qualité prix, je recommande", "Très agréable surprise", "Cuisine raffinée et service attentionné", "Le problème a été résolu dès le premier appel", "C'est simple, ça marche",
        "Très bien", "Parfait", "Rien à redire", "Je recommande vivement", "Super expérience, merci !",
        "Très satisfait de mon abonnement", "Tout s'est très bien passé", "Service au top, comme toujours",
        "Pas de souci, tout fonctionne", "Équipe adorable et réactive", "Je suis client depuis dix ans et toujours ravi",
        "Franchement rien à dire, c'est parfait", "Livré en avance, emballage soigné", "Pas mal du tout",
        "Ce n'est pas cher et c'est de qualité", "On a passé une excellente soirée", "Un vrai plaisir",
        "Je n'ai jamais été déçu", "Aucun problème depuis l'installation", "Merci pour votre réactivité",
        "Très bon rapport qualité prix", "Accueil chaleureux et conseils pertinents", "Que du bonheur",
        "Je reviendrai sans hésiter", "Le problème a été réglé en cinq minutes", "Bravo à toute l'équipe",
    ],
    ("fr", "negative"): [
        "Pas satisfait", "Pas génial", "Pas top", "Pas du tout pratique", "Pas à la hauteur", "Jamais de réponse", "Aucun sérieux",
        "Le repas était froid et fade", "Les portions sont ridicules pour le prix", "Une adresse à éviter", "Le serveur était désagréable et pressé", "Chambre sale et bruyante", "Les produits n'étaient pas frais", "Le conseiller ne m'a pas écouté", "Installation ratée, il a fallu rappeler trois fois", "Une équipe débordée et peu aimable", "Les prix ont explosé sans raison", "Je suis client depuis des années et je suis déçu", "Application lente et buggée", "Encore une promesse non tenue", "Le débit s'effondre tous les soirs", "Ambiance bruyante, on ne s'entend pas", "Toujours pas remboursé malgré mes relances", "Accueil glacial", "Service lent et désorganisé", "Une catastrophe du début à la fin", "On nous a fait attendre une heure", "Les desserts étaient immangeables", "Aucun suivi de la commande", "Un vendeur qui ne connaît rien", "Beaucoup trop cher pour ce que c'est", "Très mauvaise surprise", "Cuisine sans saveur", "Le problème n'est toujours pas réglé après un mois", "Ça ne marche pas du tout", "Je ne reviendrai pas", "Pas du tout satisfait",
        "Nul", "Très déçu", "Pas terrible", "Je ne recommande pas", "À fuir", "Plus jamais",
        "Personne ne répond au téléphone", "J'attends toujours mon remboursement", "C'est du vol",
        "Trois semaines sans internet, inadmissible", "Je vais résilier", "On m'a raccroché au nez",
        "Service client injoignable", "Facturé deux fois pour rien", "La qualité a beaucoup baissé",
        "Je ne suis pas du tout satisfait", "Ça ne marche jamais", "Aucune réponse à mes mails",
        "Trop cher pour ce que c'est", "Le technicien n'est jamais venu", "Attente interminable",
        "Ce n'est pas normal de payer autant", "Je pars chez un concurrent", "Commande jamais reçue",
        "On se moque des clients", "Vraiment pas à la hauteur de la réputation",
    ],
    ("fr", "neutral"): [
        "Nous avons réservé pour vendredi soir", "Le restaurant se trouve près de la gare", "J'ai souscrit l'offre fibre en mars", "La carte change chaque saison", "Nous avons pris le menu du jour", "Le magasin ouvre à dix heures", "J'ai contacté le support par mail", "Le colis est arrivé jeudi", "On a commandé deux pizzas", "C'était ma première visite",
        "RAS", "Correct", "Moyen", "Sans plus", "Ça va", "Peut mieux faire", "Rien de spécial",
        "J'ai changé d'offre le mois dernier", "J'ai appelé le service client hier", "Je suis client depuis deux ans",
        "La livraison était prévue mardi", "J'utilise surtout l'application", "Pas d'avis particulier",
        "C'est un abonnement classique", "Nous étions quatre à table", "Je n'ai pas encore testé le service",
        "Commande passée sur le site", "Ni bien ni mal",
    ],
    ("en", "positive"): [
        "Not bad", "No complaints", "Can't complain", "Never disappointed", "Not expensive and works well", "No problem at all",
        "The meal was delicious from start to finish", "Generous and tasty dishes", "A place to remember", "The staff were very attentive", "Clean room and comfortable bed", "Fresh, well presented products", "The advisor took the time to explain everything", "Quick installation, the engineer was very friendly", "A smiling and helpful team", "Reasonable prices for the quality", "Loyal customer for years and no regrets", "The app is clear and easy to use", "Finally a provider that keeps its promises", "Excellent speed, even in the evening", "Great atmosphere, we felt at home", "The refund arrived within two days", "Excellent welcome, we will be back", "Fast and efficient service", "Flawless", "Nothing to fault, everything was perfect", "I'm won over", "Couldn't have been better", "The desserts are wonderful", "Order tracking is really handy", "A knowledgeable salesperson who knows the products", "Good value, I recommend it", "A very pleasant surprise", "Refined food and attentive service", "The problem was solved on the first call", "Simple, it just works",
        "Very good", "Perfect", "Nothing to complain about", "Highly recommend", "Great experience, thanks!",
        "Very happy with my plan", "Everything went smoothly", "Great service as always", "No problems, it all works",
        "Lovely, responsive team", "Customer for ten years and still delighted", "Honestly faultless",
        "Delivered early and well packed", "Not bad at all", "Cheap and good quality", "We had a wonderful evening",
        "A real pleasure", "Never been disappointed", "No issues since the installation", "Thanks for the quick response",
        "Great value for money", "Warm welcome and useful advice", "Couldn't be happier", "I'll definitely be back",
        "The issue was fixed in five minutes", "Well done to the whole team",
    ],
    ("en", "negative"): [
        "Not happy", "Not impressed", "Not good enough", "Never again with them", "No answer, ever", "Not worth it",
        "The meal was cold and bland", "Tiny portions for the price", "A place to avoid", "The waiter was rude and rushed", "Dirty, noisy room", "The products were not fresh", "The advisor didn't listen to me", "Botched installation, I had to call back three times", "An overwhelmed, unfriendly team", "Prices shot up for no reason", "Customer for years and I'm disappointed", "The app is slow and buggy", "Yet another broken promise", "The speed collapses every evening", "Noisy atmosphere, you can't hear each other", "Still not refunded despite my reminders", "Icy welcome", "Slow, disorganised service", "A disaster from start to finish", "We were kept waiting for an hour", "The desserts were inedible", "No tracking of the order at all", "A salesperson who knows nothing", "Far too expensive for what it is", "A very bad surprise", "Tasteless food", "The problem is still not fixed after a month", "It doesn't work at all", "I won't be coming back", "Not satisfied at all",
        "Terrible", "Very disappointed", "Not great", "Would not recommend", "Avoid", "Never again",
        "Nobody answers the phone", "Still waiting for my refund", "It's a rip-off", "Three weeks without internet, unacceptable",
        "I'm going to cancel", "They hung up on me", "Customer service is unreachable", "Charged twice for nothing",
        "Quality has really gone down", "I am not satisfied at all", "It never works", "No reply to my emails",
        "Too expensive for what it is", "The engineer never showed up", "Endless waiting", "Paying this much is not okay",
        "I'm switching to a competitor", "Order never arrived", "They don't care about customers",
        "Nowhere near as good as its reputation",
    ],
    ("en", "neutral"): [
        "We booked for Friday evening", "The restaurant is near the station", "I signed up for fibre in March", "The menu changes every season", "We had the set menu", "The shop opens at ten", "I contacted support by email", "The parcel arrived on Thursday", "We ordered two pizzas", "It was my first visit",
        "OK", "Fine", "Average", "Nothing special", "It's alright", "Could be better", "No particular opinion",
        "I changed plans last month", "I called customer service yesterday", "I've been a customer for two years",
        "Delivery was scheduled for Tuesday", "I mostly use the app", "It's a standard subscription",
        "There were four of us", "I haven't tried the service yet", "Ordered on the website", "Neither good nor bad",
        "So-so",
    ],
}

def cap(s):
    return s[:1].upper() + s[1:]


def main():
    rng = random.Random(SEED)
    rows = set()
    for lang in ["fr", "en"]:
        for pol in ["positive", "negative", "neutral"]:
            for s in SENTENCES[(lang, pol)]:
                rows.add((s, pol, lang))
            n = {"positive": 260, "negative": 260, "neutral": 110}[pol]
            for _ in range(n):
                a = rng.choice(ASPECTS[lang])
                o = rng.choice(OPINIONS[(lang, pol)])
                if rng.random() < 0.25 and pol != "neutral":
                    b = rng.choice([x for x in ASPECTS[lang] if x != a])
                    o2 = rng.choice(OPINIONS[(lang, pol)])
                    joint = " et " if lang == "fr" else " and "
                    text = f"{cap(a)} {o}{joint}{b} {o2}"
                else:
                    text = f"{cap(a)} {o}"
                text += rng.choice([".", "", "!", " !" if lang == "fr" else "!"]) if pol != "neutral" else rng.choice([".", ""])
                rows.add((text, pol, lang))
    out = os.path.join(os.path.dirname(__file__), "..", "data", "sentiment", "feedback_fr_en.csv")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "sentiment", "language"])
        for r in sorted(rows):
            w.writerow(r)
    print(f"wrote {len(rows)} sentences to {out}")


if __name__ == "__main__":
    main()
