"""Demo discussion for `manage.py seed_discussion`: readers answering the founding article's prompt.

Written by us; the readers are fictional. Roles: patient, carer, clinician, researcher,
industry, other.
"""

ARTICLE_SLUG = "fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma"

READERS: list[dict] = [
    {
        "email": "helen.marsh@example.org",
        "display_name": "Helen M.",
        "role": "patient",
        "expertise": "Living with bile duct cancer since 2024",
        "competing_interests": "",
    },
    {
        "email": "tomasz.k@example.org",
        "display_name": "Tomasz",
        "role": "carer",
        "expertise": "Caring for my wife",
        "competing_interests": "",
    },
    {
        "email": "dr.adeyemi@example.org",
        "display_name": "Dr F. Adeyemi",
        "role": "clinician",
        "expertise": "Medical oncologist, hepatobiliary cancers",
        "competing_interests": "",
    },
    {
        "email": "l.varga@example.org",
        "display_name": "Lena Varga",
        "role": "researcher",
        "expertise": "Biostatistician, early-phase oncology trials",
        "competing_interests": "",
    },
    {
        "email": "sam.oduya@example.org",
        "display_name": "Sam Oduya",
        "role": "industry",
        "expertise": "Molecular diagnostics",
        "competing_interests": "Employee of a company that sells RNA-based tumour tests; views my own",
    },
    {
        "email": "priya.n@example.org",
        "display_name": "Priya",
        "role": "other",
        "expertise": "Patient advocate",
        "competing_interests": "",
    },
    {
        "email": "deals4health@example.org",
        "display_name": "HealthDeals",
        "role": "other",
        "expertise": "",
        "competing_interests": "",
    },
]

COMMENTS: list[dict] = [
    {
        "key": "c1",
        "parent": None,
        "author": "helen.marsh@example.org",
        "status": "approved",
        "minutes": 70,
        "helpful": 9,
        "body": (
            "From where I sit, *too fast* is not the risk people like me worry about. Bile duct "
            "cancer does not wait for a trial to finish recruiting. If a rare driver is found "
            "and a medicine shrinks tumours in even a small group, I would rather have the "
            "option and the honest uncertainty than no option at all."
        ),
    },
    {
        "key": "c2",
        "parent": "c1",
        "author": "dr.adeyemi@example.org",
        "status": "approved",
        "minutes": 140,
        "helpful": 11,
        "body": (
            "I understand that completely, and I think most oncologists would agree that "
            "waiting years for a randomised trial in a fusion this rare is not realistic. What a "
            "single-arm study like eNRGy can show is that tumours shrank and for how long. What "
            "it cannot show is how the drug compares with other treatment, or how much it "
            "extends life. That gap is why the conversation with your own team matters so much."
        ),
    },
    {
        "key": "c3",
        "parent": "c2",
        "author": "l.varga@example.org",
        "status": "approved",
        "minutes": 205,
        "helpful": 6,
        "body": (
            "To add a statistician's view: with 19 evaluable patients, every percentage has a "
            "wide confidence interval, so I would read the response rate as a range rather than "
            "a number. Tumours rarely shrink on their own, which is why responses still carry "
            "weight. The harder question is what gets collected *after* approval."
        ),
    },
    {
        "key": "c4",
        "parent": None,
        "author": "l.varga@example.org",
        "status": "approved",
        "minutes": 260,
        "helpful": 8,
        "body": (
            "My answer to the prompt: not too fast, provided approval is the start of the "
            "evidence and not the end of it. I would like to see:\n\n"
            "- confirmatory data reported on a published timetable,\n"
            "- outcomes from routine care collected in registries,\n"
            "- the trial record kept current (`NCT02912949` on "
            "[ClinicalTrials.gov](https://clinicaltrials.gov/study/NCT02912949))."
        ),
    },
    {
        "key": "c5",
        "parent": "c4",
        "author": "priya.n@example.org",
        "status": "approved",
        "minutes": 330,
        "helpful": 4,
        "body": (
            "Agreed, and patients should be told plainly which parts are still unknown. In my "
            "experience people cope with uncertainty far better than with surprises. A short, "
            "plain-language summary of what the 19-patient cohort showed would help a lot."
        ),
    },
    {
        "key": "c6",
        "parent": None,
        "author": "sam.oduya@example.org",
        "status": "approved",
        "minutes": 400,
        "helpful": 7,
        "body": (
            "The approval only helps people whose fusion is found, and fusions are easy to miss "
            "on DNA-only panels because the break points can sit in long stretches of the gene. "
            "RNA-based testing tends to pick them up more reliably. (See my competing interests: "
            "I work in diagnostics.) The "
            "[NCI page on biomarker testing](https://www.cancer.gov/about-cancer/treatment/types/biomarker-testing-cancer-treatment) "
            "is a fair, neutral starting point."
        ),
    },
    {
        "key": "c7",
        "parent": "c6",
        "author": "tomasz.k@example.org",
        "status": "approved",
        "minutes": 455,
        "helpful": 3,
        "body": (
            "This is the part nobody told us. My wife had a panel test last year and I have no "
            "idea whether it could have found a fusion. Is that something we can simply ask the "
            "hospital, or does the test have to be repeated?"
        ),
    },
    {
        "key": "c8",
        "parent": "c7",
        "author": "dr.adeyemi@example.org",
        "status": "approved",
        "minutes": 520,
        "helpful": 5,
        "body": (
            "It is a reasonable thing to ask. The report usually says which genes were covered "
            "and whether RNA was tested, and your wife's oncologist or the lab can explain what "
            "it could and could not detect. Whether a new test makes sense depends on her "
            "situation and the tissue available, so that is one for her team."
        ),
    },
    {
        "key": "c9",
        "parent": None,
        "author": "tomasz.k@example.org",
        "status": "approved",
        "minutes": 610,
        "helpful": 2,
        "body": (
            "On the voucher side: I had assumed companies could sell these vouchers to fund "
            "research, but the article says the new national priority vouchers cannot be "
            "transferred. So the incentive is mainly a faster review for the company's own "
            "medicines?"
        ),
    },
    {
        "key": "c10",
        "parent": "c9",
        "author": "priya.n@example.org",
        "status": "approved",
        "minutes": 660,
        "helpful": 3,
        "body": (
            "That is how I read the FDA's own questions-and-answers page too. The older priority "
            "review vouchers are the ones that have been sold. Anyone curious can read the "
            "[FDA's pilot page](https://www.fda.gov/industry/commissioners-national-priority-voucher-cnpv-pilot-program) "
            "directly."
        ),
    },
    {
        "key": "c11",
        "parent": None,
        "author": "helen.marsh@example.org",
        "status": "pending",
        "minutes": 720,
        "helpful": 0,
        "held_reason": "may ask for personal treatment advice",
        "advice": True,
        "body": (
            "My last scan showed growth and my tumour was never tested for fusions. Should I "
            "take zenocutuzumab instead of my next line of chemotherapy? What would you do in "
            "my place? My next appointment is in three weeks and I need to decide."
        ),
    },
    {
        "key": "c12",
        "parent": None,
        "author": "deals4health@example.org",
        "status": "rejected",
        "minutes": 790,
        "helpful": 0,
        "held_reason": "contains a blocked word",
        "body": (
            "Forget expensive drugs and long waits for approval, our natural miracle cure shrinks "
            "any tumour in weeks! Thousands of happy customers already. Order today for a "
            "limited-time discount at [miracle-cure.example](https://miracle-cure.example/)."
        ),
    },
]
