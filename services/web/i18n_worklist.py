"""The words of the alert work list and of scopes (Finnish, English, Swedish), merged into the
catalogue of services/web/i18n.py. A module of its own so the catalogue's other keys can change
without touching these."""

WORDS: dict[str, tuple[str, str, str]] = {
    "role_caseworker": ("sosiaalityöntekijä", "case worker", "socialarbetare"),
    "scope": ("Näkymäsi", "Your scope", "Ditt område"),
    "scope_whole": ("koko hyvinvointialue", "the whole wellbeing area", "hela välfärdsområdet"),
    "scope_areas": ("alueet", "areas", "områden"),
    "scope_municipalities": ("kunnat", "municipalities", "kommuner"),
    "scope_note": ("Näet vain näkymäsi rivit ja luvut.",
                   "You see the rows and figures of your scope only.",
                   "Du ser endast raderna och talen för ditt område."),
    "not_in_scope": ("– = ei näkymässäsi.", "– = not in your scope.", "– = inte i ditt område."),
    "work_list": ("Työlista", "Work list", "Arbetslista"),
    "work_list_intro": (
        "Kiireellisimmät ensin: voimassa olevat, kuittaamattomat, pisimpään rajan yli olleet.",
        "What needs action first: firing, not acknowledged, longest over the threshold.",
        "Det brådskande först: aktiva, okvitterade, längst över gränsen."),
    "alerts_total": ("{n} hälytystä", "{n} alerts", "{n} larm"),
    # a manager's list is of cells (a place, a service, a count), not of alerts: their count
    # was shown as "{n} alerts" beside a cell saying <5 (an attack, 2026-12-07)
    "alert_cells_total": ("{n} riviä", "{n} rows", "{n} rader"),
    "page_of": ("Sivu {page} / {pages}", "Page {page} of {pages}", "Sida {page} av {pages}"),
    "previous": ("Edellinen", "Previous", "Föregående"),
    "next": ("Seuraava", "Next", "Nästa"),
    "filter": ("Suodata", "Filter", "Filtrera"),
    "state": ("Tila", "State", "Status"),
    "state_open": ("voimassa", "firing", "aktiva"),
    "state_resolved": ("päättyneet", "resolved", "lösta"),
    "state_all": ("kaikki", "all", "alla"),
    "what_missing": ("Mitä puuttuu", "What is missing", "Vad saknas"),
    "since": ("Alkaen", "Since", "Sedan"),
    "threshold": ("Raja", "Threshold", "Gräns"),
    "days_n": ("{n} pv", "{n} days", "{n} dagar"),
    "over_threshold": ("Rajan yli", "Over the threshold", "Över gränsen"),
    "who_acts": ("Kenen toimia", "Who should act", "Vem ska agera"),
    "handled": ("Käsittely", "Handling", "Hantering"),
    "acked_line": ("Kuitannut {who} {when}: {note}", "Acknowledged by {who} {when}: {note}",
                   "Kvitterad av {who} {when}: {note}"),
    "silenced_line": ("Hiljentänyt {who} {when} ({until} asti): {note}",
                      "Silenced by {who} {when} (until {until}): {note}",
                      "Tystad av {who} {when} (till {until}): {note}"),
    "open_alert": ("Avaa", "Open", "Öppna"),
    "organizer_municipality": ("{name} (kunta)", "{name} (municipality)", "{name} (kommun)"),
    "organizer_wellbeing_area": ("{name} (hyvinvointialue)", "{name} (wellbeing area)",
                                 "{name} (välfärdsområde)"),
    "organizer_unknown": ("ei tiedossa", "not known", "okänd"),
    "alert_what_HANDOFF_MISSING": (
        "Vastuu KTT/SOSKU-sopimuksesta ei ole siirtynyt hyvinvointialueelle: kunta on yhä "
        "järjestäjänä.",
        "Responsibility for the KTT/SOSKU contract has not moved to the wellbeing area: a "
        "municipality is still its organiser.",
        "Ansvaret för KTT/SOSKU-avtalet har inte flyttats till välfärdsområdet: en kommun är "
        "fortfarande anordnare."),
    "alert_what_SERVICE_BREAK": (
        "Palvelu päättyi, eikä jatkoa ole: ei uutta sopimusta eikä lähetettä.",
        "The service ended with no next step: no new contract and no referral.",
        "Tjänsten upphörde utan fortsättning: inget nytt avtal och ingen remiss."),
    "alert_what_NO_RESPONSIBLE_WORKER": (
        "Nuorella ei ole järjestäjän vastaavaa sosiaalityöntekijää.",
        "The young person has no responsible social worker of the organiser.",
        "Den unga har ingen ansvarig socialarbetare hos anordnaren."),
    "alert_what_ATTENDANCE_SILENCE": (
        "Sopimukselle ei ole kirjattu läsnäoloa.",
        "No attendance has been recorded for the contract.",
        "Ingen närvaro har registrerats för avtalet."),
    "alert_what_REFERRAL_STALLED": (
        "Lähete on tehty, mutta palvelu ei ole alkanut eikä lähetettä ole suljettu.",
        "A referral was made, but the service has not started and the referral is not closed.",
        "En remiss har gjorts, men tjänsten har inte börjat och remissen är inte avslutad."),
    "alert_sentence": (
        "{what} Alkoi {since}; raja {threshold} pv, ylitetty {over} pv. Toimijana: {who}.",
        "{what} Since {since}; threshold {threshold} days, over it by {over} days. Expected "
        "to act: {who}.",
        "{what} Sedan {since}; gräns {threshold} dagar, överskriden med {over} dagar. Ska "
        "agera: {who}."),
    "alert_sentence_resolved": (
        "{what} Alkoi {since}; raja {threshold} pv. Toimijana: {who}.",
        "{what} Since {since}; threshold {threshold} days. Expected to act: {who}.",
        "{what} Sedan {since}; gräns {threshold} dagar. Ska agera: {who}."),
    "alert_counts_work": ("Hälytykset paikoittain", "Alerts by place", "Larm per plats"),
    "note_required": ("Muistiinpano (pakollinen)", "Note (required)", "Anteckning (obligatorisk)"),
    "service_all": ("kaikki palvelut", "all services", "alla tjänster"),
}
