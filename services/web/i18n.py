"""The dashboard's words in Finnish (first), English and Swedish. A missing key shows itself."""

from services.web.i18n_worklist import WORDS as WORKLIST_WORDS

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
    "role_manager": ("palvelupäällikkö", "service manager", "servicechef"),
    "role_analyst": ("analyytikko", "analyst", "analytiker"),
    "role_admin": ("ylläpitäjä", "administrator", "administratör"),
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
                        "piilotettu, jottei pieni luku paljastu summasta; – = 0–{m}, ei julkaista, "
                        "koska summa paljastaisi sen tarkasti.",
                        "Counts from 1 to {m} are shown as <{k} (small-number protection); .. = "
                        "hidden so that a total does not give a small count away; – = 0 to {m}, "
                        "not published, as a total would give it away exactly.",
                        "Antal 1–{m} visas som <{k} (skydd av små tal); .. = dolt så att en summa "
                        "inte röjer ett litet tal; – = 0–{m}, publiceras inte, eftersom en summa "
                        "skulle röja det exakt."),
    "handoff": ("Siirto hyvinvointialueelle 1.1.2023", "Handoff to the wellbeing area 1.1.2023",
                "Överföring till välfärdsområdet 1.1.2023"),
    "handoff_intro": (
        "Kuntien järjestämät kuntouttavan työtoiminnan (KTT) ja sosiaalisen kuntoutuksen "
        "(SOSKU) sopimukset, jotka piti siirtää hyvinvointialueelle. Ajallaan = siirto "
        "voimassa 14 päivän kuluessa.",
        "Contracts of rehabilitative work activity (KTT) and social rehabilitation (SOSKU) "
        "organised by municipalities that had to move to the wellbeing area. On time = "
        "transfer effective within 14 days.",
        "Avtal om arbetsverksamhet i rehabiliteringssyfte (KTT) och social rehabilitering "
        "(SOSKU) som kommunerna ordnade och som skulle flyttas till välfärdsområdet. I tid = "
        "överföringen gäller inom 14 dagar."),
    "handoff_weekly": ("Siirretty osuus viikoittain (%)", "Share transferred by week (%)",
                       "Andel överförd per vecka (%)"),
    "week": ("Viikko", "Week", "Vecka"),
    "area": ("Alue", "Area", "Område"),
    "all_areas": ("Koko hyvinvointialue", "Whole wellbeing area", "Hela välfärdsområdet"),
    # the unknown area '-' of the published cube (services/web/published.py OTHER): one place
    "area_other": ("Muut tai tuntematon", "Other or unknown", "Övriga eller okänd"),
    "area_other_note": (
        "Muut tai tuntematon = kunnat, joille ei ole määritelty sisäistä aluetta (muut "
        "hyvinvointialueet), ja tuntematon kunta: yhtenä paikkana, ei kunnittain.",
        "Other or unknown = municipalities with no internal area defined (other wellbeing "
        "areas) and an unknown municipality: one place, not by municipality.",
        "Övriga eller okänd = kommuner utan definierat internt område (andra välfärdsområden) "
        "och okänd kommun: en plats, inte per kommun."),
    "municipality": ("Kunta", "Municipality", "Kommun"),
    "cohort": ("Siirrettävät", "To be transferred", "Ska överföras"),
    "transferred": ("Siirretty ajallaan", "Transferred on time", "Överförd i tid"),
    "transferred_late": ("Siirretty myöhässä", "Transferred late", "Överförd sent"),
    "pending": ("Odottaa siirtoa", "Not yet transferred", "Ännu inte överförd"),
    "ended_untransferred": ("Päättyi siirtämättä", "Ended untransferred",
                            "Avslutad utan överföring"),
    "pct": ("Osuus %", "Share %", "Andel %"),
    "service": ("Palvelu", "Service", "Tjänst"),
    # a gap of a young person with no contract at all has no service to be placed by (the
    # cube's '-'); the pages wrote '-', which a manager could not read
    "service_none": ("ei sopimusta", "no contract", "inget avtal"),
    "producer_kind": ("Tuottajan tyyppi", "Type of producer", "Producenttyp"),
    "producer": ("Tuottaja", "Producer", "Producent"),
    "active_clients": ("Aktiiviset nuoret", "Active young people", "Aktiva unga"),
    "workshops": ("Työpajat", "Workshops", "Verkstäder"),
    "gaps_per_100": ("Katkoksia / 100 asiakasta", "Gaps per 100 clients",
                     "Avbrott per 100 klienter"),
    "no_local": ("ei omaa työpajaa", "no local workshop", "ingen egen verkstad"),
    "local_unknown": ("Onko kunnassa oma työpaja, ei julkaista (pienet luvut):",
                      "Whether there is a local workshop is not published (small counts):",
                      "Om kommunen har en egen verkstad publiceras inte (små tal):"),
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
    # the direction's own name: a screen reader heard two controls called "Järjestys"
    "sort_dir": ("Järjestyksen suunta", "Sort direction", "Sorteringsriktning"),
    "sort_desc": ("suurin ensin", "largest first", "störst först"),
    "sort_asc": ("pienin ensin", "smallest first", "minst först"),
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
    "NO_RESPONSIBLE_WORKER": ("Ei vastuutyöntekijää", "No responsible social worker",
                              "Ingen ansvarig socialarbetare"),
    "ATTENDANCE_SILENCE": ("Ei läsnäolomerkintöjä", "No attendance recorded",
                           "Ingen närvaro registrerad"),
    "REFERRAL_STALLED": ("Lähete ei ole edennyt", "Referral not started",
                         "Remissen har inte gått vidare"),
    "timeline_intro": ("Anna asiakasviite (katkoslistasta tai hälytyksestä). Jokainen katselu "
                       "kirjataan käyttölokiin.",
                       "Give a client reference (from the gap list or an alert). Every view is "
                       "recorded in the access log.",
                       "Ange en klientreferens (från avbrottslistan eller ett larm). Varje "
                       "visning registreras i åtkomstloggen."),
    "unknown_ref": ("Viitettä ei löydy.", "No such reference.", "Referensen finns inte."),
    "contracts": ("Sopimukset", "Contracts", "Avtal"),
    "workers": ("Vastuutyöntekijät", "Responsible social workers", "Ansvariga socialarbetare"),
    "attendance": ("Läsnäolot", "Attendance", "Närvaro"),
    "referrals": ("Lähetteet", "Referrals", "Remisser"),
    "organizers": ("Järjestäjät", "Organisers", "Anordnare"),
    "what": ("Mitä", "What", "Vad"),
    "from": ("Alkaen", "From", "Från"),
    "to": ("Asti", "To", "Till"),
    "firing": ("Voimassa", "Active", "Aktiva"),
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
    "not_allowed": ("Sivu ei ota vastaan tällaista pyyntöä: avaa se linkistä tai lähetä "
                    "lomake sivulta.",
                    "This page does not take such a request: open it from a link or send its "
                    "form from the page.",
                    "Sidan tar inte emot en sådan begäran: öppna den från en länk eller skicka "
                    "formuläret från sidan."),
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
    "alert_counts": ("Laukeavat hälytykset alueittain", "Active alerts by area",
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
    # the Gaps page's sort picker unset ('–' there read as the pages' mark of a hidden count)
    "sort_none": ("oletusjärjestys", "default order", "standardordning"),
    # a place's open gaps over the five types where some type is hidden (service_map.at_least)
    "map_at_least": ("≥ N: vähintään N; osa luvun osista on piilotettu",
                     "≥ N: at least N; some of its parts are hidden",
                     "≥ N: minst N; några av dess delar är dolda"),
    "map_none": ("ei tietoa (ei nuoria palvelussa tai ei siirrettäviä)",
                 "no data (no young people in service or none to hand over)",
                 "inga uppgifter (inga unga i tjänst eller inga att överföra)"),
    "map_none_short": ("ei tietoa", "no data", "inga uppgifter"),
    "map_no_internal_some": (
        "Kunnat, joille ei ole määritelty sisäistä aluetta, näkyvät pisteytettyinä; niiden "
        "nuoret lasketaan riville Muut tai tuntematon.",
        "Municipalities with no internal area defined are dotted; their young people are "
        "counted in the row Other or unknown.",
        "Kommuner utan definierat internt område visas prickade; deras unga räknas på raden "
        "Övriga eller okänd."),
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
    # --- codes of the data, shown in words (issue 13 point 6) ---
    "id": ("Tunnus", "ID", "ID"),
    "at_most": ("enintään", "at most", "högst"),
    "org_municipality": ("kunta", "municipality", "kommun"),
    "org_wellbeing_area": ("hyvinvointialue", "wellbeing area", "välfärdsområde"),
    "event_client.registered": ("Asiakas rekisteröity", "Client registered",
                                "Klienten registrerad"),
    "event_contract.signed": ("Sopimus tehty", "Contract signed", "Avtal ingått"),
    "event_contract.amended": ("Sopimusta muutettu", "Contract amended", "Avtalet ändrat"),
    "event_contract.suspended": ("Sopimus keskeytetty", "Contract suspended",
                                 "Avtalet avbrutet tillfälligt"),
    "event_contract.resumed": ("Sopimus jatkuu", "Contract resumed", "Avtalet fortsätter"),
    "event_contract.ended": ("Sopimus päättyi", "Contract ended", "Avtalet upphörde"),
    "event_responsibility.transferred": ("Järjestämisvastuu siirtyi",
                                         "Responsibility transferred",
                                         "Ansvaret för att ordna överfördes"),
    "event_worker.assigned": ("Vastuutyöntekijä nimetty", "Responsible social worker assigned",
                              "Ansvarig socialarbetare utsedd"),
    "event_worker.unassigned": ("Vastuutyöntekijä poistunut",
                                "Responsible social worker unassigned",
                                "Ansvarig socialarbetare avförd"),
    "event_attendance.recorded": ("Läsnäolo kirjattu", "Attendance recorded",
                                  "Närvaro registrerad"),
    "event_referral.made": ("Lähete tehty", "Referral made", "Remiss gjord"),
    "event_referral.started": ("Lähetteen palvelu alkoi", "Referral started",
                               "Remissens tjänst började"),
    "event_referral.closed": ("Lähete suljettu", "Referral closed", "Remissen avslutad"),
    "present": ("läsnä", "present", "närvarande"),
    "absent": ("poissa", "absent", "frånvarande"),
    "end_education": ("siirtyi opiskelemaan", "moved on to education", "gick vidare till studier"),
    "end_employment": ("työllistyi", "found work", "fick arbete"),
    "end_moved_away": ("muutti pois", "moved away", "flyttade bort"),
    "end_completed": ("päättyi suunnitellusti", "completed", "slutförd"),
    "end_interrupted": ("keskeytyi", "interrupted", "avbruten"),
    "end_other": ("muu syy", "other reason", "annat skäl"),
    "target_mental_health": ("mielenterveyspalvelut", "mental health services",
                             "mentalvårdstjänster"),
    "target_substance_abuse": ("päihdepalvelut", "substance abuse services", "missbrukartjänster"),
    "target_education": ("koulutus", "education", "utbildning"),
    "target_employment": ("työllisyyspalvelut", "employment services", "sysselsättningstjänster"),
    "target_health": ("terveyspalvelut", "health services", "hälsotjänster"),
    "target_other": ("muu", "other", "annat"),
    # --- the access log's values ---
    "log_view": ("katselu", "view", "visning"),
    "log_query": ("kysely", "query", "fråga"),
    "log_export": ("lataus", "download", "nedladdning"),
    "log_acknowledge": ("kuittaus", "acknowledgement", "kvittering"),
    "log_silence": ("hiljennys", "silence", "tystnad"),
    "log_sign_in": ("kirjautuminen", "sign-in", "inloggning"),
    "log_sign_out": ("uloskirjautuminen", "sign-out", "utloggning"),
    "outcome_ok": ("onnistui", "done", "klar"),
    "outcome_forbidden": ("estetty (rooli)", "refused (role)", "nekad (roll)"),
    "outcome_refused": ("hylätty", "refused", "avvisad"),
    "outcome_locked": ("lukittu", "locked", "låst"),
    "outcome_busy": ("varattu", "busy", "upptagen"),
    "outcome_timeout": ("aikaraja ylittyi", "time limit reached", "tidsgränsen nåddes"),
    "outcome_error": ("virhe", "error", "fel"),
    "outcome_unknown": ("ei löytynyt", "not found", "hittades inte"),
    "outcome_alertmanager_unreachable": ("tallennettu, Alertmanager ei vastannut",
                                         "kept, Alertmanager did not answer",
                                         "sparad, Alertmanager svarade inte"),
    "gap_rows": ("Katkosrivit", "Gap rows", "Avbrottsrader"),
    "role_none": ("tuntematon", "unknown", "okänd"),
    "delivery_failed": ("Hälytysten välitys Alertmanageriin epäonnistui",
                        "Alerts could not be delivered to Alertmanager",
                        "Larmen kunde inte levereras till Alertmanager"),
    # --- SQL page: errors (a translated lead; DuckDB's own message follows as it is) ---
    "sql_failed": ("Kysely epäonnistui:", "The query failed:", "Frågan misslyckades:"),
    "sql_timeout": ("Kysely pysäytettiin {s} sekunnin jälkeen: rajaa kyselyä.",
                    "The query was stopped after {s} seconds: narrow it down.",
                    "Frågan stoppades efter {s} sekunder: avgränsa den."),
    "sql_busy": ("Kyselyjä on jo käynnissä: odota hetki ja yritä uudelleen.",
                 "Queries are already running: wait a moment and try again.",
                 "Frågor körs redan: vänta en stund och försök igen."),
    "refuse_empty": ("kysely on tyhjä", "the query is empty", "frågan är tom"),
    "refuse_many": ("yksi lause kerrallaan: poista välissä oleva ;",
                    "one statement at a time: remove the ; in the middle",
                    "en sats i taget: ta bort ; i mitten"),
    "refuse_first": ("vain lukevat kyselyt (SELECT, WITH, DESCRIBE, SHOW) ovat sallittuja",
                     "only read-only queries (SELECT, WITH, DESCRIBE, SHOW) run here",
                     "endast läsande frågor (SELECT, WITH, DESCRIBE, SHOW) körs här"),
    "refuse_word": ("kielletty sana: tämä sivu vain lukee",
                    "a word that is not allowed: this page only reads",
                    "ett otillåtet ord: sidan läser bara"),
    "refuse_files": ("funktio lukee tiedostoja tai ajaa muuta SQL:ää; kysy relaatioista",
                     "the function reads files or runs other SQL; query the relations",
                     "funktionen läser filer eller kör annan SQL; fråga relationerna"),
    "refuse_paths": ("tiedostopolut ja osoitteet eivät ole sallittuja; kysy relaatioista",
                     "file paths and URLs are not allowed; query the relations",
                     "filsökvägar och adresser är inte tillåtna; fråga relationerna"),
    "refuse_quote": ("lainausmerkki jää sulkematta", "a quote is never closed",
                     "ett citattecken stängs aldrig"),
    "refuse_dollar": ("dollarilainausta ei hyväksytä; käytä '…'-merkkijonoja",
                      "dollar-quoted text is not accepted; use '…' strings",
                      "dollarcitat godtas inte; använd '…'-strängar"),
    "refuse_comment": ("kommentti /* jää sulkematta", "a comment /* is never closed",
                       "en kommentar /* stängs aldrig"),
    "refuse_other": ("kyselyä ei ajeta", "the query is not run", "frågan körs inte"),
    # --- downloads ---
    "xlsx": ("Lataa Excel (XLSX)", "Download Excel (XLSX)", "Ladda ner Excel (XLSX)"),
    "csv_plain": ("CSV ohjelmille (pilkku, desimaalipiste)",
                  "CSV for programs (comma, decimal point)",
                  "CSV för program (komma, decimalpunkt)"),
    "gaps_col": ("Avoimia katkoksia", "Open gaps", "Öppna avbrott"),
    # --- SQL page: what each relation holds and its grain; `name` is a column ---
    "rel_as_of": ("Päivä, jonka tilanteena kaikki muut relaatiot lasketaan. Rakeisuus: tasan "
                  "yksi rivi.", "The date every other relation is evaluated on. Grain: exactly "
                  "one row.", "Dagen som alla andra relationer beräknas per. Granularitet: "
                  "exakt en rad."),
    "rel_events": ("Jokainen vastaanotettu kelvollinen tapahtuma pseudonymisoituna, "
                   "kaksoiskappaleet poistettu `event_id`:n mukaan; myös tilannepäivän jälkeen "
                   "voimaan tulevat. "
                   "Rakeisuus: rivi per `event_id`.",
                   "Every valid event taken, pseudonymised, de-duplicated by `event_id`; events "
                   "effective after the as-of date too. Grain: one row per `event_id`.",
                   "Varje giltig händelse som tagits emot, pseudonymiserad, dubbletter borttagna "
                   "enligt `event_id`; även de som gäller efter lägesdagen. Granularitet: en rad "
                   "per `event_id`."),
    "rel_dead_letters": ("Syöte, jota ei voitu ottaa vastaan; henkilötunnukset peitetty. "
                         "Rakeisuus: rivi per hylätty rivi tai viesti; `origin` kertoo mistä.",
                         "Input that could not be taken, identity codes masked. Grain: one row "
                         "per rejected line or message; `origin` says where from.",
                         "Indata som inte kunde tas emot, personbeteckningar maskerade. "
                         "Granularitet: en rad per avvisad rad eller meddelande; `origin` anger "
                         "varifrån."),
    "rel_contracts": ("Jokainen sopimus tilannepäivänä. Rakeisuus: rivi per (`client_id`, "
                      "`contract_id`), alkanut viimeistään tilannepäivänä.",
                      "Each contract as of the as-of date. Grain: one row per (`client_id`, "
                      "`contract_id`) starting on or before the as-of date.",
                      "Varje avtal per lägesdagen. Granularitet: en rad per (`client_id`, "
                      "`contract_id`) som börjat senast lägesdagen."),
    "rel_handoff_status": ("Sopimukset, jotka piti siirtää siirrossa (oletuksena 1.1.2023: "
                           "kunnan järjestämät KTT ja SOSKU, voimassa 1.1.2023). Rakeisuus: "
                           "rivi per (siirto, sopimus).",
                           "Contracts that had to move in a handoff (by default 1.1.2023: KTT and "
                           "SOSKU organised by a municipality, active on 1.1.2023). Grain: one "
                           "row per (handoff, contract).",
                           "Avtal som skulle flyttas vid en överföring (som standard 1.1.2023: "
                           "KTT och SOSKU ordnade av en kommun, i kraft 1.1.2023). "
                           "Granularitet: en rad per (överföring, avtal)."),
    "rel_compliance_violations": ("Sopimukset, jotka rikkovat KTT-lakia tai siirron sääntöjä. "
                                  "Rakeisuus: rivi per (`contract_id`, `violation_type`).",
                                  "Contracts that break the law on KTT or the handoff. Grain: "
                                  "one row per (`contract_id`, `violation_type`).",
                                  "Avtal som bryter mot lagen om KTT eller överföringen. "
                                  "Granularitet: en rad per (`contract_id`, `violation_type`)."),
    "rel_data_issues": ("Kelvolliset tapahtumat, jotka viittaavat asiakkaalle tuntemattomaan "
                        "sopimukseen tai lähetteeseen, sekä jokainen ottamatta jätetty versio "
                        "jaetusta `event_id`:stä (`conflicting_event_id`). Rakeisuus: rivi per "
                        "(`event_id`, `issue`), paitsi että `conflicting_event_id` saa rivin "
                        "jokaisesta ottamatta jätetystä versiosta, joten rivit voivat toistua.",
                        "Valid events that refer to a contract or referral never seen for the "
                        "client, and each version of a shared `event_id` that was not taken "
                        "(`conflicting_event_id`). Grain: one row per (`event_id`, `issue`), "
                        "save that a `conflicting_event_id` has a row for each version not "
                        "taken, so rows may repeat.",
                        "Giltiga händelser som hänvisar till ett avtal eller en remiss som "
                        "klienten inte har, samt varje version av ett delat `event_id` som inte "
                        "togs (`conflicting_event_id`). Granularitet: en rad per (`event_id`, "
                        "`issue`), utom att `conflicting_event_id` har en rad för varje version "
                        "som inte togs, så rader kan upprepas."),
    "rel_clients": ("Jokainen asiakas, jolla on tapahtumia, ja voimassa oleva rekisteröinti. "
                    "Rakeisuus: rivi per `client_id` (pseudonyymi).",
                    "Every client with any event, with the registration in force. Grain: one "
                    "row per `client_id` (a pseudonym).",
                    "Varje klient med någon händelse och den gällande registreringen. "
                    "Granularitet: en rad per `client_id` (en pseudonym)."),
    "rel_referrals": ("Tilannepäivään mennessä tehdyt lähetteet, niiden alku ja sulkeminen. "
                      "Rakeisuus: rivi per (`client_id`, `referral_id`).",
                      "Referrals made by the as-of date, with their start and closing. Grain: "
                      "one row per (`client_id`, `referral_id`).",
                      "Remisser gjorda senast lägesdagen, med start och avslut. Granularitet: "
                      "en rad per (`client_id`, `referral_id`)."),
    "rel_municipalities": ("Kuntaluettelo (Tilastokeskus 2023) ja hyvinvointialueen sisäiset "
                           "alueet (muutettavissa). Rakeisuus: rivi per kolminumeroinen "
                           "kuntanumero.",
                           "The list of municipalities (Statistics Finland 2023) with the "
                           "wellbeing area's internal areas (configurable). Grain: one row per "
                           "three-digit municipality code.",
                           "Kommunförteckningen (Statistikcentralen 2023) med välfärdsområdets "
                           "interna områden (kan ändras). Granularitet: en rad per tresiffrig "
                           "kommunkod."),
    "rel_continuity_gaps": ("Päivät, joina nuorelta puuttui järjestäjä, palvelu, vastuutyöntekijä, "
                            "läsnäolo tai alkanut lähete. `ended_on` on katkoksen jälkeinen "
                            "ensimmäinen päivä; tyhjä ja `is_open`, kun katkos on auki "
                            "tilannepäivänä. Rakeisuus: rivi per (`client_id`, `gap_type`, "
                            "`subject_id`, `started_on`).",
                            "Days on which a young person had no organiser, service, responsible "
                            "social worker, attendance or started referral. `ended_on` is the "
                            "first day after the gap; NULL and `is_open` while the gap is open on "
                            "the as-of date. Grain: one row per (`client_id`, `gap_type`, "
                            "`subject_id`, `started_on`).",
                            "Dagar då en ung person saknade anordnare, tjänst, ansvarig "
                            "socialarbetare, närvaro eller en påbörjad remiss. `ended_on` är "
                            "första dagen efter avbrottet; tom och `is_open` medan avbrottet är "
                            "öppet på lägesdagen. Granularitet: en rad per (`client_id`, "
                            "`gap_type`, `subject_id`, `started_on`)."),
    "rel_gaps_by_place": ("Katkokset ja paikka, jossa nuorta palvellaan (sopimuksen katkoksella "
                          "sen sopimus, muuten asiakkaan viimeisin sopimus tai kotikunta), sekä "
                          "kunnan alue, palvelu ja tuottaja. Rakeisuus: kuten katkoksilla.",
                          "Continuity gaps with where the young person is served (for a "
                          "contract's gap that contract, otherwise the client's latest contract "
                          "or home municipality), with the municipality's area, service and "
                          "producer. Grain: as the gaps.",
                          "Avbrott med platsen där den unga personen betjänas (för ett avtals "
                          "avbrott det avtalet, annars klientens senaste avtal eller "
                          "hemkommun), med kommunens område, tjänst och producent. "
                          "Granularitet: som avbrotten."),
    "rel_dash_gap_cells": ("Hallintaan julkaistavan kuution avoimet katkokset: tyypeittäin, "
                           "alueittain, kunnittain ja palveluittain, nyt ja kunkin kuukauden "
                           "lopussa (`month_end`). Ei suojattu; palvelupäällikkö näkee vain "
                           "suojatun julkaisun.",
                           "The open-gap cells of the cube published to managers: by gap type, "
                           "area, municipality and service, now and at each month end "
                           "(`month_end`). Not suppressed; managers see only the suppressed "
                           "publication.",
                           "Kubens celler med öppna avbrott som publiceras för servicechefer: "
                           "per typ, område, kommun och tjänst, nu och vid varje månadsslut "
                           "(`month_end`). Inte skyddade; servicechefer ser bara den skyddade "
                           "publiceringen."),
    "rel_dash_handoff_cells": ("Siirrettävät alueittain ja järjestäneen kunnan mukaan, tila ja "
                               "siirtokuukausi. Ei suojattu: hienoin solu siirtokuutiosta.",
                               "The handoff cohort by area and the signing municipality, status "
                               "and month of transfer. Not suppressed: the finest cell of the "
                               "handoff cube.",
                               "Överföringskohorten per område och avtalskommun, status och "
                               "överföringsmånad. Inte skyddad: överföringskubens finaste cell."),
    "rel_published_cube": ("Palvelupäälliköille julkaistava suojattu kuutio, jonka "
                           "kirjoittaja tallentaa samassa tapahtumassa kuin relaatiot, joista "
                           "se lasketaan: suojausraja, siirtojen asetukset ja mistä se "
                           "laskettiin. Solut ovat taulussa `published_cells`. Rakeisuus: "
                           "rivi per (suojausraja, siirrot).",
                           "The suppressed cube published to service managers, stored by the "
                           "writer in the same transaction as the relations it is computed "
                           "from: its threshold, handoff configuration and what it was built "
                           "from. Its cells are in `published_cells`. Grain: one row per "
                           "(threshold, handoffs).",
                           "Den skyddade kub som publiceras för servicechefer, sparad av "
                           "skrivaren i samma transaktion som relationerna den beräknas ur: "
                           "skyddsgräns, överföringarnas inställningar och vad den byggdes ur. "
                           "Cellerna finns i `published_cells`. Granularitet: en rad per "
                           "(skyddsgräns, överföringar)."),
    "rel_published_cells": ("Julkaistun kuution jokainen solu ja sen näytetty teksti (luku, "
                            "<k, .. tai –); puuttuva solu on 0. Rakeisuus: rivi per solun "
                            "avain.",
                            "Every cell of the published cube with the text shown (a count, "
                            "<k, .. or –); a cell not listed is 0. Grain: one row per cell "
                            "key.",
                            "Varje cell i den publicerade kuben med den visade texten (ett "
                            "tal, <k, .. eller –); en cell som saknas är 0. Granularitet: en "
                            "rad per cellnyckel."),
    "rel_dash_story_cells": ("Yleiskuvan siirtotarinan solut: nuoret KTT:ssä ja SOSKUssa "
                             "kunkin kuukauden lopussa alueittain ja palveluittain, sekä nyt "
                             "avoimet katkokset alkamiskuukauden mukaan. Ei suojattu; "
                             "palvelupäällikkö näkee vain suojatun julkaisun.",
                             "The cells of the overview's handoff story: young people in KTT "
                             "and SOSKU at each month end by area and service, and the gaps "
                             "open now by the month they began. Not suppressed; managers see "
                             "only the suppressed publication.",
                             "Cellerna i översiktens överföringsberättelse: unga i KTT och "
                             "SOSKU vid varje månadsslut per område och tjänst, samt nu öppna "
                             "avbrott efter den månad de började. Inte skyddade; servicechefer "
                             "ser bara den skyddade publiceringen."),
    "rel_dash_service_cells": ("Missä nuoria palvellaan tilannepäivänä: aktiiviset asiakkaat ja "
                               "työpajat tuottajan kunnan ja palvelun mukaan, tuottajien tyypit. "
                               "Ei suojattu.",
                               "Where young people are served on the as-of date: active clients "
                               "and workshops by the producer's municipality and service, with "
                               "the producer kinds. Not suppressed.",
                               "Var unga betjänas på lägesdagen: aktiva klienter och verkstäder "
                               "per producentens kommun och tjänst, med producenttyperna. Inte "
                               "skyddad."),
    "rel_access_log": ("Kuka teki mitä ja milloin (asiakastietolaki 703/2023: jokainen "
                       "asiakastietojen käsittely kirjataan); kohde on sivu tai läpinäkymätön "
                       "viite, ei koskaan asiakkaan tunniste. Rakeisuus: rivi per katselu, "
                       "kysely, lataus tai toiminto.",
                       "Who did what and when (Client Data Act 703/2023: every processing of "
                       "client data is logged); the target is a page or an opaque reference, "
                       "never a client id. Grain: one row per view, query, download or action.",
                       "Vem gjorde vad och när (klientdatalagen 703/2023: all behandling av "
                       "klientuppgifter loggas); målet är en sida eller en ogenomskinlig "
                       "referens, aldrig en klients id. Granularitet: en rad per visning, fråga, "
                       "nedladdning eller åtgärd."),
    # --- plain-text refusals of the request guard (services/web/app.py) ---
    "cross_site": ("Toiselta sivustolta tullut pyyntö hylättiin.", "Cross-site request refused.",
                   "En begäran från en annan webbplats avvisades."),
    # aiohttp's answer to a request it cannot parse: sent before the language is known
    "request_too_long": ("Pyyntö on liian pitkä: lyhennä osoitetta (vähemmän suodattimia) ja "
                         "yritä uudelleen.",
                         "The request is too long: shorten the address (fewer filters) and "
                         "try again.",
                         "Begäran är för lång: korta adressen (färre filter) och försök igen."),
    "request_unreadable": ("Pyyntöä ei voitu lukea: avaa sivu uudelleen etusivun kautta.",
                           "The request could not be read: open the page again from the front "
                           "page.",
                           "Begäran kunde inte läsas: öppna sidan igen från startsidan."),
    "sign_in_again": ("Kirjaudu uudelleen: /login", "Sign in again at /login",
                      "Logga in igen: /login"),
    "bad_form": ("Lomaketta ei voitu lukea: lähetä se sivulta uudelleen.",
                 "The form could not be read: send it again from the page.",
                 "Formuläret kunde inte läsas: skicka det igen från sidan."),
    "stale_form": ("Lomake on vanhentunut: lataa sivu uudelleen ja yritä uudestaan.",
                   "Stale form: reload the page and try again.",
                   "Formuläret är föråldrat: ladda om sidan och försök igen."),
    "sql_killed": ("Kysely pysähtyi ilman vastausta: se tarvitsi enemmän muistia tai "
                   "suoritinaikaa kuin analyytikon kysely saa käyttää.",
                   "The query stopped without an answer: it needed more memory or CPU than "
                   "an analyst query may use.",
                   "Frågan stannade utan svar: den behövde mer minne eller processortid än en "
                   "analytikerfråga får använda."),
    "sql_memory": ("Kysely tarvitsee enemmän muistia kuin analyytikon kysely saa käyttää: "
                   "rajaa sitä (WHERE, vähemmän sarakkeita, yhteenveto, LIMIT).",
                   "The query needs more memory than an analyst query may use: narrow it "
                   "(WHERE, fewer columns, an aggregate, LIMIT).",
                   "Frågan behöver mer minne än en analytikerfråga får använda: avgränsa den "
                   "(WHERE, färre kolumner, en sammanfattning, LIMIT)."),
    "sql_too_big": ("Vastaus on liian suuri: valitse vähemmän rivejä tai sarakkeita.",
                    "The answer is too large: select fewer rows or columns.",
                    "Svaret är för stort: välj färre rader eller kolumner."),
    "unknown_user": ("tuntematon käyttäjä", "unknown user", "okänd användare"),
    # The handoff story on the overview (issue 13 point 1, SPEC.md 4.1).
    "handoff_pick": ("Siirto", "Handoff", "Överföring"),
    "handoff_named": ("Siirto {name}", "Handoff {name}", "Överföring {name}"),
    "kind_municipality": ("kunta", "municipality", "kommun"),
    "kind_wellbeing_area": ("hyvinvointialue", "wellbeing area", "välfärdsområde"),
    "previous_month": ("Edellinen kuukausi", "Previous month", "Föregående månad"),
    "change_month": ("Muutos kuukaudessa", "Change in a month", "Förändring på en månad"),
    "handoff_story": ("Vastuun siirto", "Handoff of responsibility", "Överföring av ansvaret"),
    "handoff_story_intro": (
        "Sopimukset ({services}), jotka olivat voimassa siirtopäivänä {date} ja jotka piti "
        "siirtää: {from} → {to}. Ajallaan = siirto voimassa {g} päivän kuluessa; myöhässä = "
        "myöhemmin; päättyi siirtämättä = sopimus päättyi ennen siirtoa; odottaa = ei vielä "
        "siirretty.",
        "Contracts ({services}) in force on the handoff date {date} that had to move: {from} "
        "→ {to}. On time = transfer effective within {g} days; late = later; ended "
        "untransferred = the contract ended before any transfer; pending = not transferred yet.",
        "Avtal ({services}) som gällde på överföringsdagen {date} och som skulle flyttas: "
        "{from} → {to}. I tid = överföringen gäller inom {g} dagar; sent = senare; avslutad "
        "utan överföring = avtalet upphörde före överföringen; väntar = ännu inte överförd."),
    "in_service_title": ("Nuoria KTT:ssä ja SOSKUssa kuun lopussa",
                         "Young people in KTT and SOSKU at each month end",
                         "Unga i KTT och SOSKU vid månadens slut"),
    "in_service_caption": (
        "Katkoviiva merkitsee siirtopäivää; ennen sitä palvelusta vastasi edellinen järjestäjä.",
        "A dashed line marks a handoff date; before it the previous organiser was responsible.",
        "En streckad linje markerar en överföringsdag; före den ansvarade den tidigare "
        "anordnaren."),
    "hidden_caption": (
        "Piilotettu kuukausi (<{k}, .. tai –) näkyy vinoviivoitettuna kaistana ja ontona "
        "merkkinä akselin alla; viiva katkeaa siinä.",
        "A hidden month (<{k}, .. or –) shows as a hatched band and a hollow marker under the "
        "axis; the line breaks there.",
        "En dold månad (<{k}, .. eller –) visas som ett streckat band och en ihålig markör "
        "under axeln; linjen bryts där."),
    "hidden_legend": ("piilotettu", "hidden", "dold"),
    "began_before": (
        "{b}/{n} nyt avoimesta palvelukatkoksesta ({pct} %) alkoi ennen {date}, ennen kuin "
        "vastuu siirtyi uudelle järjestäjälle ({to}).",
        "{b} of the {n} service breaks open now ({pct}%) began before {date}, before the "
        "new organiser ({to}) was responsible.",
        "{b} av de {n} avbrott i tjänsten som är öppna nu ({pct} %) började före {date}, "
        "innan ansvaret gick över till den nya anordnaren ({to})."),
    "began_before_hidden": (
        "Se, kuinka moni avoimista palvelukatkoksista alkoi ennen {date}, on piilotettu "
        "(pienten lukujen suoja).",
        "How many of the open service breaks began before {date} is hidden (small-number "
        "protection).",
        "Hur många av de öppna avbrotten i tjänsten som började före {date} är dolt (skydd "
        "av små tal)."),
    "began_table": ("Avoimet katkokset: alkoivat ennen siirtopäivää tai sen jälkeen",
                    "Open gaps: begun before the handoff date or since",
                    "Öppna avbrott: började före överföringsdagen eller sedan"),
    "began_before_col": ("Alkoi ennen siirtopäivää", "Began before the handoff date",
                         "Började före överföringsdagen"),
    "began_since_col": ("Alkoi siirtopäivänä tai sen jälkeen", "Began on or after it",
                        "Började på eller efter den"),
    "not_on_time_total": ("Myöhässä siirretyt ja siirtämättä päättyneet yhteensä (erikseen "
                          "piilotettu pienten lukujen suojaamiseksi)",
                          "Handed over late or ended without handover, together (hidden apart "
                          "to protect small counts)",
                          "Överförda för sent eller avslutade utan överföring, sammanlagt "
                          "(dolda var för sig för att skydda små tal)"),
    "in_service_now": ("Nuoria palvelussa", "Young people in service", "Unga i tjänsten"),
    "other_gap_types": ("Muut katkostyypit", "The other gap types", "Övriga typer av avbrott"),
    "per_area": ("Avoimet katkokset alueittain", "Open gaps by area", "Öppna avbrott per område"),
}

_T.update(WORKLIST_WORDS)  # the alert work list and scopes


def translate(key: str, lang: str) -> str:
    entry = _T.get(key)
    if entry is None:
        return key
    return entry[LANGS.index(lang) if lang in LANGS else 0]

# The client timeline (services/web/pages/timeline.py): lanes, legend, months, event types and
# the codes of event payloads. Kept in a block of its own, prefixed tl_, so it merges cleanly.
_TIMELINE: dict[str, tuple[str, str, str]] = {
    "tl_suspensions": ("Keskeytykset", "Suspensions", "Uppehåll"),
    "tl_present": ("läsnä", "present", "närvarande"),
    "tl_absent": ("poissa", "absent", "frånvarande"),
    "tl_legend": ("Selite", "Legend", "Teckenförklaring"),
    "tl_events": ("Kaikki tapahtumat", "All events", "Alla händelser"),
    "tl_details": ("Tiedot", "Details", "Uppgifter"),
    "tl_id": ("Tunnus", "ID", "Beteckning"),
    "tl_made_on": ("Tehty", "Made", "Gjord"),
    "tl_ongoing": ("jatkuu", "ongoing", "pågår"),
    "tl_span": ("Aikajana", "Timeline", "Tidslinje"),
    "tl_caption": ("Sopimukset järjestäjittäin, keskeytykset, vastuutyöntekijät, lähetteet, "
                   "katkokset ja läsnäolot samalla aika-akselilla; katkoviiva = vastuun "
                   "siirtopäivä. Samat tiedot ovat alla taulukkoina.",
                   "Contracts by organiser, suspensions, responsible workers, referrals, gaps "
                   "and attendance on one time axis; dashed line = handoff day. The same facts "
                   "are in the tables below.",
                   "Avtal per anordnare, uppehåll, ansvariga socialarbetare, remisser, avbrott "
                   "och närvaro på samma tidsaxel; streckad linje = överföringsdag. Samma "
                   "uppgifter finns i tabellerna nedan."),
    "tl_legend_municipality": ("Järjestäjä: kunta", "Organiser: municipality",
                               "Anordnare: kommun"),
    "tl_legend_wellbeing_area": ("Järjestäjä: hyvinvointialue", "Organiser: wellbeing area",
                                 "Anordnare: välfärdsområde"),
    "tl_legend_other": ("Järjestäjä: muu", "Organiser: other", "Anordnare: annan"),
    "tl_legend_suspension": ("Keskeytys (vinoviivat)", "Suspension (hatched)",
                             "Uppehåll (streckat)"),
    "tl_legend_worker": ("Vastuutyöntekijä", "Responsible worker", "Ansvarig socialarbetare"),
    "tl_legend_referral": ("Lähete tehty, ei vielä alkanut", "Referral made, not yet started",
                           "Remiss gjord, ännu inte påbörjad"),
    "tl_legend_gap": ("Katkos (vinoviivat, punainen)", "Gap (hatched, red)",
                      "Avbrott (streckat, rött)"),
    "tl_legend_present": ("Läsnä (korkea merkki)", "Present (tall mark)",
                          "Närvarande (högt märke)"),
    "tl_legend_absent": ("Poissa (matala merkki)", "Absent (short mark)",
                         "Frånvarande (lågt märke)"),
    "tl_legend_handoff": ("Vastuun siirtopäivä (katkoviiva)", "Handoff day (dashed line)",
                          "Överföringsdag (streckad linje)"),
    "tl_event.client.registered": ("Asiakas rekisteröity", "Client registered",
                                   "Klient registrerad"),
    "tl_event.contract.signed": ("Sopimus tehty", "Contract signed", "Avtal ingått"),
    "tl_event.contract.amended": ("Sopimusta muutettu", "Contract amended", "Avtal ändrat"),
    "tl_event.contract.suspended": ("Sopimus keskeytetty", "Contract suspended",
                                    "Avtal avbrutet tillfälligt"),
    "tl_event.contract.resumed": ("Sopimus jatkuu", "Contract resumed", "Avtal återupptaget"),
    "tl_event.contract.ended": ("Sopimus päättyi", "Contract ended", "Avtal avslutat"),
    "tl_event.responsibility.transferred": ("Järjestämisvastuu siirtyi",
                                            "Responsibility transferred",
                                            "Ansvaret överfört"),
    "tl_event.worker.assigned": ("Vastuutyöntekijä nimetty", "Responsible worker assigned",
                                 "Ansvarig socialarbetare utsedd"),
    "tl_event.worker.unassigned": ("Vastuutyöntekijä poistettu", "Responsible worker removed",
                                   "Ansvarig socialarbetare borttagen"),
    "tl_event.attendance.recorded": ("Läsnäolo kirjattu", "Attendance recorded",
                                     "Närvaro registrerad"),
    "tl_event.referral.made": ("Lähete tehty", "Referral made", "Remiss gjord"),
    "tl_event.referral.started": ("Lähete alkoi", "Referral started", "Remiss påbörjad"),
    "tl_event.referral.closed": ("Lähete suljettu", "Referral closed", "Remiss avslutad"),
    "tl_reason.illness": ("sairaus", "illness", "sjukdom"),
    "tl_reason.leave": ("loma", "leave", "ledighet"),
    "tl_reason.other": ("muu syy", "other reason", "annat skäl"),
    "tl_reason.education": ("koulutukseen", "to education", "till utbildning"),
    "tl_reason.employment": ("työhön", "to work", "till arbete"),
    "tl_reason.moved_away": ("muutti pois", "moved away", "flyttade bort"),
    "tl_reason.completed": ("päättyi suunnitellusti", "completed", "slutförd"),
    "tl_reason.interrupted": ("keskeytyi", "interrupted", "avbruten"),
    "tl_reason.expired": ("suunniteltu päättymispäivä", "planned end date", "planerat slutdatum"),
    "tl_target.mental_health": ("mielenterveyspalvelut", "mental health services",
                                "mentalvårdstjänster"),
    "tl_target.substance_abuse": ("päihdepalvelut", "substance abuse services",
                                  "missbrukartjänster"),
    "tl_target.education": ("koulutus", "education", "utbildning"),
    "tl_target.employment": ("työllistyminen", "employment", "sysselsättning"),
    "tl_target.health": ("terveyspalvelut", "health services", "hälsotjänster"),
    "tl_target.other": ("muu", "other", "annat"),
    "tl_outcome.declined": ("kieltäytyi", "declined", "avböjde"),
    "tl_outcome.cancelled": ("peruttu", "cancelled", "inställd"),
    "tl_outcome.not_needed": ("ei tarpeen", "not needed", "behövs inte"),
}
_MONTHS = (("tammi", "Jan", "jan"), ("helmi", "Feb", "feb"), ("maalis", "Mar", "mars"),
           ("huhti", "Apr", "apr"), ("touko", "May", "maj"), ("kesä", "Jun", "juni"),
           ("heinä", "Jul", "juli"), ("elo", "Aug", "aug"), ("syys", "Sep", "sep"),
           ("loka", "Oct", "okt"), ("marras", "Nov", "nov"), ("joulu", "Dec", "dec"))
_TIMELINE.update({f"tl_month_{i}": m for i, m in enumerate(_MONTHS, 1)})
_T.update(_TIMELINE)
# The overview under a municipality focus (issue 13: every figure follows the focus).
_T.update({
    "focus_figures": (
        "Luvut koskevat rajattua kuntaa ({name}). Kuukauden vaihteen lukuja ei julkaista "
        "kunnittain, joten edellistä kuukautta ja muutosta ei näytetä. Kuvaajat näyttävät "
        "kunnan alueen ({area}) kuukausittaiset luvut.",
        "The figures are those of the municipality in focus ({name}). Month-end figures are "
        "not published by municipality, so the previous month and the change are not shown. "
        "The charts show the monthly figures of its area ({area}).",
        "Siffrorna gäller den avgränsade kommunen ({name}). Siffror vid månadsskiftet "
        "publiceras inte per kommun, så föregående månad och förändringen visas inte. "
        "Diagrammen visar månadssiffrorna för kommunens område ({area})."),
    "in_service_focus_note": (
        "Nuoret palvelussa kunnittain kuten palvelukartalla: palvelun kunnan mukaan "
        "tilannepäivänä.",
        "Young people in service by municipality as on the service map: by the municipality "
        "of the service on the as-of date.",
        "Unga i tjänsten per kommun som på servicekartan: enligt tjänstens kommun på "
        "lägesdagen."),
})
