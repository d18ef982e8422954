"""The dashboard's words in Finnish (first), English and Swedish. A missing key shows itself."""

LANGS = ("fi", "en", "sv")
LANG_NAMES = {"fi": "suomi", "en": "English", "sv": "svenska"}

_T: dict[str, tuple[str, str, str]] = {
    "app": ("jatkumo – palveluketjujen katkokset", "jatkumo – service chain gaps",
            "jatkumo – avbrott i servicekedjor"),
    "skip": ("Siirry sisältöön", "Skip to content", "Hoppa till innehållet"),
    "overview": ("Yleiskuva", "Overview", "Översikt"),
    "map": ("Palvelukartta", "Service map", "Servicekarta"),
    "gaps": ("Katkokset", "Gaps", "Avbrott"),
    "timeline": ("Asiakkaan aikajana", "Client timeline", "Klientens tidslinje"),
    "alerts": ("Hälytykset", "Alerts", "Larm"),
    "sql": ("SQL", "SQL", "SQL"),
    "access_log": ("Käyttöloki", "Access log", "Åtkomstlogg"),
    "sign_in": ("Kirjaudu sisään", "Sign in", "Logga in"),
    "sign_out": ("Kirjaudu ulos", "Sign out", "Logga ut"),
    "username": ("Käyttäjätunnus", "User name", "Användarnamn"),
    "password": ("Salasana", "Password", "Lösenord"),
    "bad_login": ("Väärä käyttäjätunnus tai salasana.", "Wrong user name or password.",
                  "Fel användarnamn eller lösenord."),
    "login_locked": ("Liian monta epäonnistunutta kirjautumista. Yritä uudelleen {s} sekunnin "
                     "kuluttua.", "Too many failed sign-ins. Try again in {s} seconds.",
                     "För många misslyckade inloggningar. Försök igen om {s} sekunder."),
    "signed_in_as": ("Kirjautunut", "Signed in as", "Inloggad som"),
    "role_manager": ("palvelupäällikkö", "manager", "servicechef"),
    "role_analyst": ("analyytikko", "analyst", "analytiker"),
    "role_admin": ("ylläpitäjä", "admin", "administratör"),
    "language": ("Kieli", "Language", "Språk"),
    "as_of": ("Tilanne", "As of", "Läge per"),
    "forbidden": ("Roolisi ei salli tätä sivua.", "Your role does not allow this page.",
                  "Din roll tillåter inte den här sidan."),
    "open_gaps_now": ("Avoimet katkokset nyt", "Open gaps now", "Öppna avbrott nu"),
    "open_gaps_weekly": ("Avoimet katkokset viikoittain", "Open gaps by week",
                         "Öppna avbrott per vecka"),
    "gap_type": ("Katkoksen tyyppi", "Gap type", "Typ av avbrott"),
    "count": ("Määrä", "Count", "Antal"),
    "suppressed_note": ("Määrät 1–{m} näytetään muodossa <{k} (pienten lukujen suoja); .. = "
                        "piilotettu, jottei pieni luku paljastu summasta; – = ei julkaista, "
                        "koska summa paljastaisi sen tarkasti.",
                        "Counts from 1 to {m} are shown as <{k} (small-number protection); .. = "
                        "hidden so that a total does not give a small count away; – = not "
                        "published, as a total would give it away exactly.",
                        "Antal 1–{m} visas som <{k} (skydd av små tal); .. = dolt så att en summa "
                        "inte röjer ett litet tal; – = publiceras inte, eftersom en summa skulle "
                        "röja det exakt."),
    "handoff": ("Siirto hyvinvointialueelle 1.1.2023", "Handoff to the wellbeing area 1.1.2023",
                "Överföring till välfärdsområdet 1.1.2023"),
    "handoff_intro": (
        "Kunnan järjestämät KTT- ja sosiaalisen kuntoutuksen sopimukset, jotka piti siirtää "
        "hyvinvointialueelle. Ajallaan = siirto voimassa 14 päivän kuluessa.",
        "KTT and social rehabilitation contracts organised by municipalities that had to move "
        "to the wellbeing area. On time = transfer effective within 14 days.",
        "KTT- och socialrehabiliteringsavtal som kommunerna ordnade och som skulle flyttas "
        "till välfärdsområdet. I tid = överföringen gäller inom 14 dagar."),
    "handoff_weekly": ("Siirretty osuus viikoittain (%)", "Share transferred by week (%)",
                       "Andel överförd per vecka (%)"),
    "week": ("Viikko", "Week", "Vecka"),
    "area": ("Alue", "Area", "Område"),
    "all_areas": ("Koko alue", "Whole region", "Hela regionen"),
    "municipality": ("Kunta", "Municipality", "Kommun"),
    "cohort": ("Siirrettävät", "Cohort", "Kohort"),
    "transferred": ("Siirretty ajallaan", "Transferred on time", "Överförd i tid"),
    "transferred_late": ("Siirretty myöhässä", "Transferred late", "Överförd sent"),
    "pending": ("Odottaa", "Pending", "Väntar"),
    "ended_untransferred": ("Päättyi siirtämättä", "Ended untransferred",
                            "Avslutad utan överföring"),
    "pct": ("Osuus %", "Share %", "Andel %"),
    "service": ("Palvelu", "Service", "Tjänst"),
    "producer_kind": ("Tuottajan tyyppi", "Producer kind", "Producenttyp"),
    "producer": ("Tuottaja", "Producer", "Producent"),
    "active_clients": ("Aktiiviset nuoret", "Active young people", "Aktiva unga"),
    "workshops": ("Työpajat", "Workshops", "Verkstäder"),
    "gaps_per_100": ("Katkoksia / 100 asiakasta", "Gaps per 100 clients",
                     "Avbrott per 100 klienter"),
    "no_local": ("ei omaa työpajaa", "no local workshop", "ingen egen verkstad"),
    "map_intro": ("Työpajojen on pysyttävä lähipalveluna kunnissa, ei vain Oulussa. Korostetut "
                  "kunnat: ei yhtään paikallista tuottajaa.",
                  "Workshops must stay a local service in the municipalities, not only in Oulu. "
                  "Highlighted: no local producer at all.",
                  "Verkstäderna ska förbli en närservice i kommunerna, inte bara i Uleåborg. "
                  "Markerade: ingen lokal producent."),
    "filter": ("Suodata", "Filter", "Filtrera"),
    "any": ("kaikki", "any", "alla"),
    "status": ("Tila", "Status", "Status"),
    "open": ("avoin", "open", "öppen"),
    "closed": ("päättynyt", "closed", "avslutad"),
    "started_from": ("Alkanut aikaisintaan", "Started from", "Började tidigast"),
    "started_to": ("Alkanut viimeistään", "Started by", "Började senast"),
    "sort": ("Järjestys", "Sort", "Sortering"),
    "csv": ("Lataa CSV", "Download CSV", "Ladda ner CSV"),
    "started_on": ("Alkoi", "Started", "Började"),
    "ended_on": ("Päättyi", "Ended", "Slutade"),
    "length_days": ("Kesto (pv)", "Length (days)", "Längd (dagar)"),
    "started_month": ("Alkukuukausi", "Start month", "Startmånad"),
    "internal_area": ("Alue", "Area", "Område"),
    "municipality_name": ("Kunnan nimi", "Municipality name", "Kommunens namn"),
    "producer_id": ("Tuottaja", "Producer", "Producent"),
    "subject_id": ("Sopimus / lähete", "Contract / referral", "Avtal / remiss"),
    "is_open": ("Tila", "Status", "Status"),
    "municipal": ("kunta", "municipal", "kommunal"),
    "third_sector": ("järjestö / säätiö", "third sector", "tredje sektorn"),
    "wellbeing_area": ("hyvinvointialue", "wellbeing area", "välfärdsområde"),
    "company": ("yritys", "company", "företag"),
    "client_ref": ("Asiakasviite", "Client reference", "Klientreferens"),
    "show": ("Näytä", "Show", "Visa"),
    "rows_shown": ("riviä näytetty", "rows shown", "rader visas"),
    "no_rows": ("Ei rivejä.", "No rows.", "Inga rader."),
    "HANDOFF_MISSING": ("Siirto puuttuu", "Handoff missing", "Överföring saknas"),
    "SERVICE_BREAK": ("Palvelu katkesi", "Service break", "Avbrott i tjänsten"),
    "NO_RESPONSIBLE_WORKER": ("Ei vastuutyöntekijää", "No responsible worker",
                              "Ingen ansvarig arbetare"),
    "ATTENDANCE_SILENCE": ("Ei läsnäoloja", "Attendance silence", "Ingen närvaro"),
    "REFERRAL_STALLED": ("Lähete jumissa", "Referral stalled", "Remiss har stannat"),
    "timeline_intro": ("Anna asiakasviite (katkoslistasta tai hälytyksestä). Jokainen katselu "
                       "kirjataan käyttölokiin.",
                       "Give a client reference (from the gap list or an alert). Every view is "
                       "recorded in the access log.",
                       "Ange en klientreferens (från avbrottslistan eller ett larm). Varje "
                       "visning loggas."),
    "unknown_ref": ("Viitettä ei löydy.", "No such reference.", "Referensen finns inte."),
    "contracts": ("Sopimukset", "Contracts", "Avtal"),
    "workers": ("Vastuutyöntekijät", "Responsible workers", "Ansvariga arbetare"),
    "attendance": ("Läsnäolot", "Attendance", "Närvaro"),
    "referrals": ("Lähetteet", "Referrals", "Remisser"),
    "organizers": ("Järjestäjät", "Organisers", "Anordnare"),
    "what": ("Mitä", "What", "Vad"),
    "from": ("Alkaen", "From", "Från"),
    "to": ("Asti", "To", "Till"),
    "firing": ("Voimassa", "Firing", "Aktiva"),
    "resolved": ("Päättyneet", "Resolved", "Lösta"),
    "acknowledge": ("Kuittaa", "Acknowledge", "Kvittera"),
    "comment": ("Kommentti", "Comment", "Kommentar"),
    "silence": ("Hiljennä", "Silence", "Tysta"),
    "hours": ("tuntia", "hours", "timmar"),
    "acked_by": ("Kuitannut", "Acknowledged by", "Kvitterad av"),
    "silenced_until": ("Hiljennetty asti", "Silenced until", "Tystad till"),
    "no_alerts": ("Ei hälytyksiä.", "No alerts.", "Inga larm."),
    "alert": ("Hälytys", "Alert", "Larm"),
    "open_timeline": ("Avaa aikajana", "Open timeline", "Öppna tidslinjen"),
    "query": ("Kysely", "Query", "Fråga"),
    "run": ("Suorita", "Run", "Kör"),
    "sql_intro": ("Vain lukevat kyselyt (SELECT, WITH, DESCRIBE, SHOW). Rivi- ja aikaraja; "
                  "jokainen kysely kirjataan käyttölokiin.",
                  "Read-only queries (SELECT, WITH, DESCRIBE, SHOW). Row and time limits; every "
                  "query is recorded in the access log.",
                  "Endast läsande frågor (SELECT, WITH, DESCRIBE, SHOW). Rad- och tidsgräns; "
                  "varje fråga loggas."),
    "relations": ("Relaatiot ja niiden rakeisuus", "Relations and their grain",
                  "Relationer och deras granularitet"),
    "refused": ("Kysely hylättiin", "Query refused", "Frågan avvisades"),
    "truncated": ("Tulos katkaistiin rivirajaan", "Result cut at the row limit",
                  "Resultatet kapades vid radgränsen"),
    "who": ("Kuka", "Who", "Vem"),
    "when": ("Milloin", "When", "När"),
    "action": ("Toiminto", "Action", "Åtgärd"),
    "target": ("Kohde", "Target", "Mål"),
    "not_found": ("Sivua ei löydy.", "Page not found.", "Sidan finns inte."),
    "chart_table": ("Kaavion luvut taulukkona", "The chart's numbers as a table",
                    "Diagrammets siffror som tabell"),
    "suppressed_weeks": ("Viikot, joiden luku on <{k}, puuttuvat viivasta.",
                         "Weeks whose count is <{k} are left out of the line.",
                         "Veckor med <{k} saknas i linjen."),
    "suppressed_months": ("Kuukaudet, joiden luku on piilotettu (<{k} tai ..), puuttuvat "
                          "viivasta.", "Months whose count is hidden (<{k} or ..) are left out "
                          "of the line.", "Månader med dolt tal (<{k} eller ..) saknas i linjen."),
    "suppressed_share": ("Osuus näytetään vain, kun näytetyt luvut määräävät sen.",
                         "A share is shown only where the shown counts determine it.",
                         "Andelen visas bara där de visade talen bestämmer den."),
    "open_gaps_monthly": ("Avoimet katkokset kuukauden lopussa", "Open gaps at each month end",
                          "Öppna avbrott vid månadens slut"),
    "handoff_monthly": ("Siirretty osuus kuukausittain (%)", "Share transferred by month (%)",
                        "Andel överförd per månad (%)"),
    "month_end": ("Päivä", "Day", "Dag"),
    "month": ("Kuukausi", "Month", "Månad"),
    "all": ("kaikki", "all", "alla"),
    "alert_counts": ("Laukeavat hälytykset alueittain", "Firing alerts by area",
                     "Aktiva larm per område"),
    "alert_counts_intro": (
        "Palvelupäällikkö näkee hälytykset määrinä (yksi hälytys = yksi avoin katkos); "
        "yksittäiset hälytykset näkevät analyytikot.",
        "Managers see alerts as counts (one alert = one open gap); analysts see the single "
        "alerts.", "Servicechefer ser larmen som antal (ett larm = ett öppet avbrott); "
        "analytiker ser de enskilda larmen."),
    "gaps_manager_intro": (
        "Avoimet katkokset tyypeittäin, alueittain, kunnittain ja palveluittain; kaikki = "
        "summa.", "Open gaps by type, area, municipality and service; all = the sum.",
        "Öppna avbrott per typ, område, kommun och tjänst; alla = summan."),
    # --- the service map (services/web/pages/service_map.py) ---
    "map_choropleth_intro": (
        "Kartta värittää hyvinvointialueen kunnat tai sisäiset alueet valitun mittarin mukaan. "
        "Valitse kunta (hiirellä tai näppäimistöllä), niin muut sivut näyttävät vain sen.",
        "The map colours the wellbeing area's municipalities or internal areas by the chosen "
        "measure. Choose a municipality (by mouse or keyboard) and the other pages show only it.",
        "Kartan färgar välfärdsområdets kommuner eller interna områden enligt det valda måttet. "
        "Välj en kommun (med mus eller tangentbord) så visar de andra sidorna bara den."),
    "measure": ("Mittari", "Measure", "Mått"),
    "level": ("Taso", "Level", "Nivå"),
    "wellbeing_area_pick": ("Hyvinvointialue", "Wellbeing area", "Välfärdsområde"),
    "all_wellbeing_areas": ("kaikki", "all", "alla"),
    "measure_gaps": ("Avoimet katkokset / 100 palvelussa olevaa nuorta",
                     "Open gaps per 100 young people in service",
                     "Öppna avbrott per 100 unga i tjänst"),
    "measure_handoff": ("Siirretty ajallaan (%)", "Handed over on time (%)",
                        "Överförd i tid (%)"),
    "level_municipality": ("kunnittain", "by municipality", "per kommun"),
    "level_area": ("sisäisten alueiden mukaan", "by internal area", "per internt område"),
    "measure_gaps_def": (
        "Avoimet katkokset (kaikki viisi tyyppiä) tilannepäivänä jaettuna nuorilla, joilla on "
        "voimassa oleva KTT-, SOSKU- tai NUPA-sopimus kunnassa samana päivänä, kertaa 100. Luku "
        "voi ylittää 100: yhdellä nuorella voi olla useita avoimia katkoksia yhtä aikaa, ja "
        "katkos (esim. palvelu katkesi) koskee usein nuorta, jonka sopimus on jo päättynyt, "
        "joten hän ei ole nimittäjässä. Yli 100 tarkoittaa, että katkoksia on enemmän kuin "
        "palvelussa olevia nuoria.",
        "Open gaps (all five types) on the as-of date divided by the young people with a KTT, "
        "SOSKU or NUPA contract in force in the municipality that day, times 100. It can exceed "
        "100: one young person can have several open gaps at once, and a gap (a service break, "
        "say) often belongs to a young person whose contract has already ended, who is then "
        "not in the denominator. Over 100 means there are more open gaps than young people in "
        "service.",
        "Öppna avbrott (alla fem typer) på lägesdagen delat med de unga som har ett gällande "
        "KTT-, SOSKU- eller NUPA-avtal i kommunen samma dag, gånger 100. Talet kan överstiga "
        "100: en ung person kan ha flera öppna avbrott samtidigt, och ett avbrott (t.ex. ett "
        "avbrott i tjänsten) gäller ofta en ung person vars avtal redan har upphört och som då "
        "inte finns i nämnaren. Över 100 betyder att det finns fler öppna avbrott än unga i "
        "tjänst."),
    "measure_handoff_def": (
        "Ajallaan siirretyt sopimukset jaettuna kaikilla siirrettävillä sopimuksilla (kunnan "
        "KTT- ja SOSKU-sopimukset 1.1.2023), kertaa 100: enintään 100.",
        "Contracts transferred on time divided by all contracts to hand over (the "
        "municipalities' KTT and SOSKU contracts at 1.1.2023), times 100: at most 100.",
        "Avtal överförda i tid delat med alla avtal som skulle överföras (kommunernas KTT- och "
        "SOSKU-avtal 1.1.2023), gånger 100: högst 100."),
    "numerator_gaps": ("Avoimet katkokset", "Open gaps", "Öppna avbrott"),
    "denominator_gaps": ("Palvelussa olevat nuoret", "Young people in service",
                         "Unga i tjänst"),
    "numerator_handoff": ("Siirretty ajallaan", "Transferred on time", "Överförd i tid"),
    "denominator_handoff": ("Siirrettävät", "Cohort", "Kohort"),
    "rate": ("Suhdeluku", "Rate", "Kvot"),
    "legend": ("Selite", "Legend", "Teckenförklaring"),
    "map_hidden": ("piilotettu (<{k}, .. tai –): ei väriä, vinoviivoitus",
                   "hidden (<{k}, .. or –): no colour, hatched",
                   "dolt (<{k}, .. eller –): ingen färg, streckad"),
    "map_hidden_short": ("piilotettu", "hidden", "dolt"),
    "map_none": ("ei tietoa (ei nuoria palvelussa tai ei siirrettäviä)",
                 "no data (no young people in service or none to hand over)",
                 "inga uppgifter (inga unga i tjänst eller inga att överföra)"),
    "map_none_short": ("ei tietoa", "no data", "inga uppgifter"),
    "map_no_internal_areas": ("Tälle hyvinvointialueelle ei ole määritelty sisäisiä alueita.",
                              "No internal areas are defined for this wellbeing area.",
                              "Inga interna områden har definierats för detta välfärdsområde."),
    "map_no_internal_some": (
        "Kunnat, joille ei ole määritelty sisäistä aluetta (muut hyvinvointialueet), näkyvät "
        "pisteytettyinä.",
        "Municipalities with no internal area defined (other wellbeing areas) are dotted.",
        "Kommuner utan definierat internt område (andra välfärdsområden) visas prickade."),
    "map_values": ("Kartan luvut taulukkona", "The map's figures as a table",
                   "Kartans siffror som tabell"),
    "map_services": ("Palvelut ja tuottajat kunnittain", "Services and producers by municipality",
                     "Tjänster och producenter per kommun"),
    "map_attribution": ("Kuntarajat: © Maanmittauslaitos, CC BY 4.0 (hallinnolliset aluejaot "
                        "1:4,5 milj., 2023).",
                        "Municipal borders: © Maanmittauslaitos, CC BY 4.0 (administrative "
                        "areas 1:4.5M, 2023).",
                        "Kommungränser: © Maanmittauslaitos, CC BY 4.0 (administrativa "
                        "indelningar 1:4,5 milj., 2023)."),
    "choose_municipality": ("Valitse kunta", "Choose municipality", "Välj kommun"),
    "focus": ("Rajaus", "Focus", "Avgränsning"),
    "focus_remove": ("Poista rajaus", "Remove focus", "Ta bort avgränsning"),
    "focus_on": ("Rajattu kuntaan", "Focused on the municipality", "Avgränsad till kommunen"),
    "focus_see": ("Katso kunnan luvut", "See the municipality's figures", "Se kommunens siffror"),
}


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    """A rate as its language writes it: decimal comma in Finnish and Swedish, point in
    English (thousands are not grouped: rates here stay small). None is '–'."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",").replace("-", "−") if lang in ("fi", "sv") else text


def translate(key: str, lang: str) -> str:
    entry = _T.get(key)
    if entry is None:
        return key
    return entry[LANGS.index(lang) if lang in LANGS else 0]
