//! The command line's help in French, by command path (`enrollments list`)
//! and option (`enrollments list --status`).

/// The French text for a key, if the catalogue has it.
pub fn text(key: &str) -> Option<&'static str> {
    HELP_FR
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .map(|i| HELP_FR[i].1)
}

/// The French for an English help text many commands share.
pub fn shared(english: &str) -> Option<&'static str> {
    SHARED
        .binary_search_by(|(k, _)| (*k).cmp(english))
        .ok()
        .map(|i| SHARED[i].1)
}

/// Sorted by key (byte order), for the binary search.
#[rustfmt::skip]
const HELP_FR: &[(&str, &str)] = &[
    ("", "Console de l'équipe d'animation de Civitac : enrôlements, publications, forum, SMS"),
    ("--db", "Base de données du réplica (par défaut : replica.db dans le répertoire des données, voir `civitac paths`)"),
    ("--keymap", "Raccourcis clavier de la console : un nom (default, vim, azerty) ou un fichier TOML"),
    ("--lang", "Langue des messages (par défaut : d'après LANG, sinon le français)"),
    ("audit", "Le journal"),
    ("audit list", "Lister le journal (entrées les plus récentes d'abord)"),
    ("audit list --action", "Une décision en toutes lettres ou sous forme codée : masqué, enrôlée, post.hide"),
    ("audit list --actor", "Un membre de l'équipe : identifiant de connexion ou partie du nom, sans tenir compte des accents (awa, kabore)"),
    ("audit list --entity", "Un type d'enregistrement en toutes lettres ou sous forme codée : message, organisation, forum_post"),
    ("audit list --entity-id", "L'identifiant de l'enregistrement"),
    ("citizens", "Les citoyens (auteurs des messages) : lister, réduire au silence, bannir, rétablir"),
    ("citizens ban", "Bannir des citoyens : ils ne peuvent plus publier (un motif est obligatoire)"),
    ("citizens ban --hide-posts", "Masquer aussi chacun de leurs messages visibles, avec le même motif"),
    ("citizens list", "Lister les citoyens, par nom"),
    ("citizens list --platform", "Identifiant(s) propre(s) à la plateforme publique, séparés par des virgules"),
    ("citizens list --search", "Une partie du nom (accents et casse indifférents)"),
    ("citizens list --status", "active, muted, banned (séparés par des virgules ; ou en mots : actif, réduit au silence, banni)"),
    ("citizens mute", "Réduire des citoyens au silence pour un temps : ils ne peuvent plus publier jusque-là (un motif est obligatoire)"),
    ("citizens mute --for", "Pour combien de temps : 24h, 7j, 30j, ou N h / N j (jusqu'à 366 jours)"),
    ("citizens mute --hide-posts", "Masquer aussi chacun de leurs messages visibles, avec le même motif"),
    ("citizens reinstate", "Permettre de nouveau de publier à des citoyens réduits au silence ou bannis"),
    ("completions", "Complétion pour le shell, générée depuis ces commandes (bash, zsh, fish, powershell)"),
    ("completions <shell>", "Le shell"),
    ("demo", "Construire un hub et un réplica remplis de données de démonstration réalistes"),
    ("demo --as-of", "Le « jour présent » du monde de démonstration (YYYY-MM-DD ; par défaut : aujourd'hui, UTC)"),
    ("demo --dir", "Où écrire hub.db et replica.db (par défaut : demo/ dans le répertoire des données)"),
    ("demo --feed-every", "Avec la console : secondes entre deux lots de nouveaux messages et signalements provenant de la plateforme publique simulée"),
    ("demo --no-tui", "Construire les données et afficher ce qui a été créé, sans ouvrir la console"),
    ("demo --scale", "Taille : 1 ≈ 400 organisations, 2 000 publications, 20 000 messages, 5 000 contacts"),
    ("demo --seed", "Graine aléatoire : la même graine (et le même jour --as-of) donne les mêmes données"),
    ("enrollments", "Les organisations et leur enrôlement"),
    ("enrollments approve", "Enrôler des organisations contactées"),
    ("enrollments charter", "Enregistrer une charte reçue : sa date de signature et sa référence"),
    ("enrollments charter --ref", "Numéro de référence de la charte"),
    ("enrollments charter --signed-on", "Jour de signature de la charte : 2026-11-28, 28/11/2026, 28 nov. 2026, hier"),
    ("enrollments contacted", "Enregistrer que les responsables de l'organisation ont été contactés"),
    ("enrollments list", "Lister les organisations"),
    ("enrollments list --commune", "Commune (p. ex. Gorom-Gorom ; accents et casse indifférents)"),
    ("enrollments list --kind", "commune, region ou osc"),
    ("enrollments list --province", "Province (p. ex. Houet ; accents et casse indifférents)"),
    ("enrollments list --region", "Région (noms de 2025, p. ex. Kadiogo, Guiriko ; accents et casse indifférents)"),
    ("enrollments list --search", "Mots du nom, du sigle ou de la commune (accents facultatifs)"),
    ("enrollments list --since", "Candidature déposée à cette date ou après (28/11/2026, 28 nov. 2026, hier, YYYY-MM-DD ou RFC 3339)"),
    ("enrollments list --status", "Étape(s), séparées par des virgules : applied, charter_received, contacted, enrolled, rejected, suspended"),
    ("enrollments list --until", "Candidature déposée avant cette date"),
    ("enrollments reinstate", "Lever une suspension"),
    ("enrollments reject", "Rejeter des candidatures (un motif est obligatoire)"),
    ("enrollments suspend", "Suspendre des organisations enrôlées (un motif est obligatoire)"),
    ("forum", "Les messages du forum et leur modération"),
    ("forum dismiss", "Classer sans suite les signalements ouverts des messages, en laissant les messages tels quels"),
    ("forum hide", "Masquer des messages en attendant leur examen (un motif est obligatoire)"),
    ("forum list", "Lister les messages (les plus récents d'abord)"),
    ("forum list --author", "Identifiant de l'auteur (citoyen)"),
    ("forum list --flagged", "Seulement les messages ayant des signalements ouverts (`--flagged`, ou `--flagged no` pour ceux sans signalement)"),
    ("forum list --held", "Masqués par le système (masquage automatique, mot surveillé) en attendant un modérateur (`--held`, ou `--held no`)"),
    ("forum list --search", "Mots du message (accents facultatifs)"),
    ("forum list --status", "visible, hidden, removed (séparés par des virgules)"),
    ("forum list --thread", "Identifiant du fil"),
    ("forum list --watched", "Effet d'un mot surveillé à l'ingestion : hold (retenu pour examen), flag, reject, ou yes/no"),
    ("forum lock", "Verrouiller des fils : plus aucun nouveau message (identifiants de fils ; `--where` verrouille les fils des messages correspondants)"),
    ("forum remove", "Supprimer des messages (un motif est obligatoire)"),
    ("forum restore", "Rendre de nouveau visibles des messages masqués ou supprimés"),
    ("forum same-text", "Les messages de la file de modération au même texte que celui-ci (casse, accents, espaces et numéros de téléphone mis à part), identifiants en premier : pour le `--from -` d'une action en lot"),
    ("forum same-text <post_id>", "Le message dont on cherche les copies"),
    ("forum unlock", "Déverrouiller des fils"),
    ("hub", "Commandes sur la base de données du hub, et serveur hub"),
    ("hub backup", "Une copie cohérente et vérifiée de la base de données du hub, prise pendant qu'il sert"),
    ("hub backup <dest>", "Emplacement de la copie (ne doit pas exister)"),
    ("hub decisions", "Les décisions que la plateforme publique doit appliquer, après une position du flux, en lignes JSON (le même flux que `GET /v1/decisions`). La dernière ligne lue donne le prochain `--since`"),
    ("hub decisions --limit", "Au plus ce nombre de décisions"),
    ("hub decisions --since", "Position du flux après laquelle commencer (0 : depuis le début)"),
    ("hub files", "Contenus des publications servis aux réplicas"),
    ("hub files add", "Ajouter des contenus de publications au magasin de fichiers du hub (par SHA-256) ; affiche chaque empreinte"),
    ("hub files add --store", "Le magasin de fichiers (par défaut : files/ à côté de la base de données)"),
    ("hub files add <files>", "Les fichiers"),
    ("hub ingest", "Importer les messages, signalements, candidatures et publications de la plateforme publique (lignes JSON ; `-` lit l'entrée standard). Les lignes invalides sont signalées et ignorées. La base de données du hub est `--db PATH` (créée si elle n'existe pas)"),
    ("hub restore", "Mettre une sauvegarde à la place de la base de données du hub (refusé tant qu'un hub la sert). Le hub reçoit une nouvelle époque : les réplicas renvoient ce qu'il a perdu"),
    ("hub restore <backup>", "Un fichier créé par `civitac hub backup`"),
    ("hub serve", "Servir les réplicas et la plateforme en HTTP(S) jusqu'à SIGTERM ou ctrl-c"),
    ("hub serve --files", "Où sont conservés les contenus des publications, par SHA-256 (par défaut : files/ à côté de la base de données)"),
    ("hub serve --kannel-url", "URL sendsms de Kannel, p. ex. http://127.0.0.1:13013/cgi-bin/sendsms"),
    ("hub serve --listen", "Adresse d'écoute, p. ex. 0.0.0.0:8443 (port 0 : n'importe quel port libre, affiché)"),
    ("hub serve --max-body-mib", "Taille maximale du corps d'une requête, en Mio, une fois décompressé"),
    ("hub serve --max-connections", "Nombre maximal de connexions ouvertes simultanément (par défaut : ce que permet la limite de fichiers)"),
    ("hub serve --max-per-address", "Nombre maximal de connexions ouvertes depuis une même adresse (le NAT d'un bureau en partage une seule)"),
    ("hub serve --public-url", "L'adresse du hub telle que la passerelle l'atteint, pour les accusés de remise (par défaut : l'adresse d'écoute)"),
    ("hub serve --sms-from", "Expéditeur affiché sur les téléphones"),
    ("hub serve --sms-gateway", "Envoi des SMS approuvés : none, log (les écrit dans le journal du serveur) ou kannel"),
    ("hub serve --sms-rate", "Nombre maximal de SMS remis à la passerelle par seconde"),
    ("hub serve --tls-cert", "Chaîne de certificats PEM : servir en HTTPS (avec --tls-key)"),
    ("hub serve --tls-key", "Clé privée PEM du certificat"),
    ("hub serve --trusted-proxy", "Un proxy inverse placé devant le hub (répétable) : son X-Forwarded-For désigne le client, pour les limites de débit et les journaux"),
    ("hub serve --webhook-retry-hours", "Réessayer un webhook en échec pendant ce nombre d'heures, puis le mettre en pause (rien n'est sauté : `hub webhook resume` reprend à partir de là)"),
    ("hub serve --webhook-timeout", "Délai maximal d'une requête de webhook, en secondes"),
    ("hub settings", "Afficher ou modifier les paramètres du hub"),
    ("hub settings --feed-staff-names", "Nommer le membre de l'équipe dans le flux des décisions destiné à la plateforme (par défaut : seulement son rôle)"),
    ("hub settings --sms-approval-threshold", "Les avis adressés à plus de destinataires que ce nombre exigent l'approbation d'un administrateur (les alertes, toujours)"),
    ("hub templates", "Ce qui est dit à la personne concernée par une décision (par type de décision et par langue)"),
    ("hub templates edit", "Modifier le message à l'intéressé pour un type de décision (les réplicas le reçoivent à leur prochaine synchronisation). Espaces réservés : {date} {reason} {until} {title} {name}"),
    ("hub templates edit --from", "Lire le nouveau texte depuis un fichier (`-` : entrée standard)"),
    ("hub templates edit --text", "Le nouveau texte"),
    ("hub templates edit <kind>", "Le type de décision, p. ex. post.hidden"),
    ("hub templates edit <language>", "fr ou en"),
    ("hub templates list", "Tous les modèles de message à l'intéressé, par type de décision et par langue"),
    ("hub token", "Jetons d'appareil (la base de données du hub est `--db PATH`, créée si elle n'existe pas)"),
    ("hub token issue", "Délivrer un jeton pour l'appareil d'un membre de l'équipe ; il est affiché une seule fois, jamais enregistré"),
    ("hub token issue --device", "Le nom de l'appareil, p. ex. laptop-dori (avec --platform : le nom de la plateforme)"),
    ("hub token issue --name", "Le nom complet de la personne, pour un nouveau membre de l'équipe"),
    ("hub token issue --platform", "Un jeton pour la plateforme publique, qui peut seulement ingérer"),
    ("hub token issue --role", "admin, moderator ou field_agent"),
    ("hub token issue --staff", "Identifiant de connexion du membre de l'équipe (créé avec ce rôle s'il est nouveau)"),
    ("hub token list", "Lister les appareils et leur état (jamais les jetons)"),
    ("hub token revoke", "Révoquer immédiatement le jeton d'un appareil (par identifiant d'appareil, ou par nom s'il est sans ambiguïté)"),
    ("hub token revoke <device>", "Identifiant ou nom de l'appareil"),
    ("hub webhook", "Où le hub envoie (POST) le flux des décisions, signé (HMAC-SHA256)"),
    ("hub webhook add", "Envoyer (POST) le flux des décisions à URL, signé avec le secret contenu dans FILE"),
    ("hub webhook add --events", "Seulement ces types de décision, séparés par des virgules (`post.*` pour une famille)"),
    ("hub webhook add --from-start", "Livrer tout le flux depuis son début, pas seulement la suite"),
    ("hub webhook add --secret-from", "Un fichier contenant le secret partagé (au moins 16 octets ; jamais sur la ligne de commande, où `ps` l'affiche)"),
    ("hub webhook list", "Chaque webhook : position, arriéré, échecs et dernière erreur"),
    ("hub webhook remove", "Arrêter les livraisons vers un webhook"),
    ("hub webhook resume", "Reprendre les livraisons vers un webhook en pause, là où elles se sont arrêtées"),
    ("hub words", "Mots que le hub surveille dans les messages et les titres de fils venant de la plateforme"),
    ("hub words add", "Surveiller un mot (`forag*` : tout mot commençant ainsi ; plusieurs mots : une expression). Les accents et la casse sont ignorés"),
    ("hub words add --action", "hold (masqué jusqu'à la décision d'un modérateur), flag (placé dans la file) ou reject (supprimé à l'ingestion)"),
    ("hub words add --match", "word, prefix ou phrase (par défaut : déduit de la façon dont il est saisi)"),
    ("hub words add <word>", "Le mot, le préfixe ou l'expression"),
    ("hub words import", "Ajouter des mots depuis un fichier CSV : word[,action[,match]] par ligne (une première ligne `word,…` ou `mot,…` est un en-tête). Tout ou rien"),
    ("hub words list", "Les mots surveillés"),
    ("hub words remove", "Ne plus surveiller un mot"),
    ("keymap", "Raccourcis clavier de la console"),
    ("keymap check", "Vérifier un fichier de raccourcis clavier (fusionné avec les valeurs par défaut) : actions inconnues, touches inconnues, conflits"),
    ("keymap check <file>", "Le fichier TOML"),
    ("login", "Rattacher ce réplica à un hub avec un jeton d'appareil, puis le synchroniser"),
    ("login --ca", "Fichier PEM de l'autorité qui a signé le certificat du hub (hub ayant sa propre autorité de certification)"),
    ("login --hub", "L'adresse du hub, p. ex. https://hub.civitac.bf"),
    ("login --no-sync", "Rattacher seulement ; la première synchronisation se fait avec `civitac sync` (p. ex. sur une meilleure liaison)"),
    ("login --token", "Le jeton d'appareil délivré par un administrateur (`civitac hub token issue`). De préférence par l'entrée standard ou CIVITAC_TOKEN : un argument est visible dans `ps`"),
    ("logout", "Oublier le jeton du hub (le réplica est conservé)"),
    ("man", "La page de manuel de cette ligne de commande (roff), générée depuis ces commandes"),
    ("paths", "Où civitac conserve sa configuration, ses données et ses journaux"),
    ("sms", "Les SMS"),
    ("sms contacts", "Contacts SMS"),
    ("sms contacts import", "Importer des contacts depuis un CSV (colonnes name, phone, region, commune) dans un groupe"),
    ("sms contacts import --default-region", "Pays des numéros écrits sans leur indicatif international : BF, NE, ML, SN ou CI"),
    ("sms contacts import --dry-run", "Vérifier et rendre compte, sans rien changer"),
    ("sms contacts import --group", "Le groupe (nom ou identifiant) que rejoignent les contacts"),
    ("sms contacts import <file>", "Le fichier CSV (`-` lit l'entrée standard)"),
    ("sms count", "Compter les segments SMS : lit des lignes JSON, une chaîne JSON par ligne (`-` ou rien : entrée standard), et écrit pour chacune une ligne {\"encoding\":\"GSM-7\"|\"UCS-2\",\"segments\":N,\"units\":N}"),
    ("sms list", "Lister les SMS (les plus récents d'abord)"),
    ("sms list --group", "Nom ou identifiant du groupe"),
    ("sms list --kind", "alert ou notice"),
    ("sms list --status", "draft, queued, approved, sending, sent, failed, cancelled"),
    ("sync", "Envoyer les décisions de ce réplica au hub, puis récupérer ce qui a changé"),
    ("sync --batch", "Opérations par requête d'envoi (moins sur une liaison médiocre : une coupure fait perdre moins)"),
    ("sync --json", "Afficher un résumé JSON sur la sortie standard"),
    ("sync --page", "Lignes par page de récupération"),
    ("sync --retries", "Nouvelles tentatives après un échec temporaire (réseau, hub occupé), avec des attentes croissantes"),
    ("uploads", "Publications en attente d'examen ou déjà examinées"),
    ("uploads approve", "Approuver des publications en attente"),
    ("uploads fetch", "Récupérer les fichiers des publications depuis le hub dans le cache local (vérifiés par SHA-256, reprise après une coupure) et afficher l'emplacement de chacun"),
    ("uploads fetch <ids>", "Identifiants des publications"),
    ("uploads list", "Lister les publications (les plus anciennes d'abord, pour lire la file dans l'ordre)"),
    ("uploads list --category", "local_development_plan, budget, procurement_plan, council_minutes, other"),
    ("uploads list --commune", "La commune de l'organisation (accents et casse indifférents)"),
    ("uploads list --kind", "document, statistic, article, video, audio, photo"),
    ("uploads list --org", "Identifiant de l'organisation"),
    ("uploads list --platform", "Identifiant(s) propre(s) à la plateforme publique, séparés par des virgules"),
    ("uploads list --plausible", "`--plausible no` : seulement les publications dont les statistiques varient de façon invraisemblable par rapport à l'année précédente (plus de 50 %, ou 15 % par an)"),
    ("uploads list --region", "La région de l'organisation (accents et casse indifférents)"),
    ("uploads list --search", "Mots du titre, du nom de fichier ou de l'organisation"),
    ("uploads list --since", "Soumise à cette date ou après"),
    ("uploads list --status", "pending, approved, rejected, changes_requested (séparés par des virgules)"),
    ("uploads reject", "Rejeter des publications en attente (un motif est obligatoire)"),
    ("uploads request-changes", "Renvoyer des publications en attente pour modifications (un motif est obligatoire)"),
    ("whoami", "À qui appartient ce réplica"),
];

/// Texts many commands share (the batch actions' and the lists' options),
/// by their English text, sorted (byte order) for the binary search.
#[rustfmt::skip]
const SHARED: &[(&str, &str)] = &[
    ("\"Je m'en occupe\": take records in hand, so colleagues see it after their next sync", "« Je m'en occupe » : prendre des fiches en charge, pour que les collègues le voient après leur prochaine synchro"),
    ("A batch of more than 20 records that is more than `batch_share_limit` percent of its table (config, default 20) needs this besides --yes", "Un lot de plus de 20 enregistrements dépassant `batch_share_limit` pour cent de sa table (configuration, 20 par défaut) exige cette option en plus de --yes"),
    ("A filter as the console's filter line takes it, in French or English words: statut=contactée, région=Kuilsé, depuis=hier (repeatable)", "Un filtre tel que l'accepte la ligne de filtre de la console, en mots français ou anglais : statut=contactée, région=Kuilsé, depuis=hier (répétable)"),
    ("Add a staff note to records (kept and synced between staff, never sent to the platform)", "Ajouter une note de l'équipe à des fiches (gardée et synchronisée entre collègues, jamais envoyée à la plateforme)"),
    ("Apply what can be applied and report the rest (default: all or nothing)", "Appliquer ce qui peut l'être et signaler le reste (par défaut : tout ou rien)"),
    ("At most N rows, 1 to 1,000,000,000 (tables default to 50; csv and json to all)", "Au plus N lignes, de 1 à 1 000 000 000 (par défaut : 50 en table ; tout en csv et json)"),
    ("CSV cells exactly as stored, for machine use: by default a cell a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe", "Cellules CSV exactement telles qu'enregistrées, pour un usage machine : par défaut, une cellule qu'un tableur lirait comme une formule (commençant par =, +, -, @, tabulation, CR) est précédée d'une apostrophe"),
    ("Do not ask for confirmation", "Ne pas demander de confirmation"),
    ("Do not have the person each decision affects told (the platform gets the decision without its notice)", "Ne pas informer la personne concernée par chaque décision (la plateforme reçoit la décision sans son message à l'intéressé)"),
    ("Hand records back (an admin may hand back a colleague's)", "Rendre des fiches (un administrateur peut rendre celles d'un collègue)"),
    ("Hide a post pending review when it has this many open flags", "Masquer un message en attendant son examen dès qu'il compte ce nombre de signalements ouverts"),
    ("Read ids from a file, one a line (`-` for standard input); a CSV from `list --format csv` works too (first column, header skipped)", "Lire les identifiants depuis un fichier, un par ligne (`-` pour l'entrée standard) ; un CSV issu de `list --format csv` convient aussi (première colonne, en-tête ignoré)"),
    ("Record ids", "Identifiants des enregistrements"),
    ("Select every record matching KEY=VALUE (the list's filters); repeatable", "Sélectionner tous les enregistrements correspondant à KEY=VALUE (les filtres de la liste) ; répétable"),
    ("Show what would change, change nothing", "Montrer ce qui changerait, sans rien changer"),
    ("Start after this cursor (printed at the end of the previous page)", "Commencer après ce curseur (affiché à la fin de la page précédente)"),
    ("The JSON-lines file", "Le fichier de lignes JSON"),
    ("The note, one line of plain text (2,000 characters at most)", "La note, une ligne de texte simple (2 000 caractères au plus)"),
    ("The public platform's own id(s), comma-separated (as on the website)", "Identifiant(s) propre(s) à la plateforme publique, séparés par des virgules (comme sur le site web)"),
    ("Why (required to reject, suspend, request changes, hide, remove)", "Motif (obligatoire pour rejeter, suspendre, demander des modifications, masquer, supprimer)"),
    ("table (fits the terminal), csv or json (for scripts)", "table (adaptée au terminal), csv ou json (pour les scripts)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_option_has_its_french_help() {
        assert!(
            HELP_FR.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, no duplicate"
        );
        assert!(
            SHARED.windows(2).all(|w| w[0].0 < w[1].0),
            "shared texts sorted, no duplicate"
        );
        let missing: Vec<String> = crate::cli::help::keys()
            .into_iter()
            .filter(|(k, en)| text(k).or_else(|| shared(en)).is_none())
            .map(|(k, en)| format!("{k:?}: {en}"))
            .collect();
        assert!(
            missing.is_empty(),
            "no French help for:\n{}",
            missing.join("\n")
        );
    }
}
