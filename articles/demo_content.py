"""Demo content for `manage.py seed_demo`: written by us, facts from the cited sources."""

from __future__ import annotations

TOPICS: list[dict] = [
    # kind is one of: "cancer_type", "biomarker", "therapy", "regulation"
    {
        "slug": "cholangiocarcinoma",
        "name": "Cholangiocarcinoma",
        "kind": "cancer_type",
        "description": (
            "Cancer of the bile ducts, the tubes that carry bile from the liver to the gut. "
            "It is uncommon, often found late, and increasingly tested for genetic drivers."
        ),
    },
    {
        "slug": "lung-cancer",
        "name": "Lung cancer",
        "kind": "cancer_type",
        "description": (
            "The cancer type where genomic testing is most established: many advanced lung "
            "cancers carry a driver that a targeted medicine can act on."
        ),
    },
    {
        "slug": "pancreatic-cancer",
        "name": "Pancreatic cancer",
        "kind": "cancer_type",
        "description": (
            "A hard-to-treat cancer in which a small minority of tumours, often those without "
            "a KRAS mutation, carry rare drivers such as gene fusions."
        ),
    },
    {
        "slug": "nrg1-fusion",
        "name": "NRG1 fusion",
        "kind": "biomarker",
        "description": (
            "A rare rearrangement that joins the NRG1 gene to another gene and keeps HER2/HER3 "
            "growth signalling switched on. Found across several tumour types."
        ),
    },
    {
        "slug": "ntrk-fusion",
        "name": "NTRK fusion",
        "kind": "biomarker",
        "description": (
            "Gene fusions involving NTRK1, NTRK2 or NTRK3: rare in most cancers, and among the "
            "first drivers to earn tumour-agnostic approvals."
        ),
    },
    {
        "slug": "msi-high",
        "name": "MSI-high",
        "kind": "biomarker",
        "description": (
            "High microsatellite instability, a sign that a tumour cannot repair certain DNA "
            "copying errors; it can predict benefit from immunotherapy in many tumour types."
        ),
    },
    {
        "slug": "genomic-profiling",
        "name": "Genomic profiling",
        "kind": "biomarker",
        "description": (
            "Testing a tumour, or tumour DNA in the blood, for many genetic changes at once, to "
            "find drivers that may guide treatment or trial options."
        ),
    },
    {
        "slug": "targeted-therapy",
        "name": "Targeted therapy",
        "kind": "therapy",
        "description": (
            "Medicines designed to block a specific molecule or pathway a cancer depends on, "
            "rather than attacking all rapidly dividing cells."
        ),
    },
    {
        "slug": "fda-regulation",
        "name": "FDA regulation",
        "kind": "regulation",
        "description": (
            "How the US Food and Drug Administration reviews and approves cancer medicines, "
            "and the expedited routes it uses for serious and rare conditions."
        ),
    },
]

ARTICLES: list[dict] = [
    # ------------------------------------------------------------------ founding article
    {
        "slug": "fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma",
        "title": "FDA approves zenocutuzumab for NRG1 fusion-positive bile duct cancer",
        "kind": "news",
        "standfirst": (
            "A targeted antibody, zenocutuzumab-zbco (Bizengri), is now approved in the US for "
            "cholangiocarcinoma driven by an NRG1 gene fusion. The route it took, and the small "
            "trial behind it, may shape how medicines for rare cancer drivers reach patients."
        ),
        "seo_description": (
            "The FDA has approved zenocutuzumab (Bizengri) for NRG1 fusion-positive bile duct "
            "cancer. What changed, what the evidence shows, and why testing matters."
        ),
        "topics": ["cholangiocarcinoma", "nrg1-fusion", "targeted-therapy", "fda-regulation"],
        "published": "2026-11-17T09:00:00+00:00",
        "last_reviewed": "2026-11-17",
        "discussion_prompt": (
            "Approvals built on around twenty patients can reach people years sooner, but leave "
            "more questions open. For very rare cancers, where would you strike the balance "
            "between speed and certainty?"
        ),
        "body": """\
The US Food and Drug Administration (FDA) has approved zenocutuzumab-zbco, sold under the brand name Bizengri, for people with cholangiocarcinoma (bile duct cancer) whose tumour carries an NRG1 gene fusion. Only a small share of bile duct cancers have this change. How the approval came about, though, says a good deal about where cancer medicine is heading.

## What was approved

Zenocutuzumab is a targeted antibody medicine. It is meant for tumours in which part of the NRG1 gene has become joined to another gene, a change that keeps a growth signal permanently switched on. The exact indication, including which patients qualify and at what point in their care, is set out in the prescribing information that the FDA publishes with its approval records (see the references below). Whether it could be an option for a particular person is a question for their oncology team.

For the biology in more detail, read our explainer on [NRG1 fusions](/articles/nrg1-fusions-explained/).

## From organ of origin to genetic driver

For most of its history, cancer treatment has been organised by the organ where a tumour started, and drug development followed the same map. The commercial model favoured "blockbuster" medicines for very large groups of patients.

This approval is defined by a genetic driver instead. The medicine is aimed at a molecular fault, and the bile duct is one of several places where that fault turns up. That is the logic of biomarker-driven treatment, sometimes called tumour-agnostic or histology-independent treatment: each group of patients is small, but for the people in it the match between drug and tumour can be unusually direct.

## How the National Priority Voucher pilot fits in

The application went through the FDA's National Priority Voucher pilot program. The pilot shortens review timelines and offers alternative pathways for treatments that meet an unmet need, including situations where a large randomised trial is not realistic because too few patients exist. Our [explainer on the pilot](/articles/national-priority-voucher-pilot-explained/) covers how it works and how it compares with older FDA tools.

Those who back the approach expect several effects:

- **Lower cost and risk for developers.** A shorter, more predictable review reduces the time and money spent before a medicine can be prescribed.
- **Faster access for patients.** Rare cancers often have no approved targeted option.
- **Money for research into "orphan" fusions.** Vouchers are often discussed as valuable, tradable assets whose worth could help fund work on other rare fusions.

That last point needs a caveat. The FDA's own questions-and-answers page says national priority vouchers cannot be transferred to another company, although they stay valid if the company itself changes hands. The vouchers with an established resale market are older, separately legislated priority review vouchers. Any funding effect from the new pilot is therefore likely to be indirect, through the value it adds to a company's development programme.

## The evidence: one arm, 19 patients

The approval rests on the eNRGy trial (registered as NCT02912949), an open-label study in which everyone enrolled received zenocutuzumab and there was no comparison group. The bile duct cancer evidence came from 19 patients whose response to treatment could be evaluated.

With a fusion this rare, a conventional randomised trial could take many years to recruit, or might never finish. A single-arm cohort can show whether tumours shrink and for how long, which means something because cancers seldom shrink on their own. What it cannot do is show how the medicine compares with other treatment or how much it extends life, and with so few people every estimate carries wide uncertainty. Our piece on [basket trials](/articles/basket-trials-explained/) looks at these trade-offs.

Small single-arm cohorts like this one are becoming a template for rare drivers.

## Expect more basket trials

Developers are likely to lean further on basket trials, which enrol people by a shared mutation rather than by where the cancer started. One study can include bile duct, lung, colon and other cancers, as long as each tumour carries the same driver. eNRGy itself is built this way, and regulators' willingness to act on carefully analysed small cohorts gives others a reason to follow.

## The bottleneck is testing

A targeted medicine can only help someone whose tumour has been tested and found to carry the target. NRG1 fusions are easy to miss: they are rare, and some tests find fusions far more reliably than others. The direction of travel is towards comprehensive genomic profiling of every advanced solid tumour at diagnosis, instead of testing one gene at a time or waiting until standard treatment has stopped working. Our guide, [The Future of Genomic Profiling](/articles/the-future-of-genomic-profiling/), explains what that involves and what its limits are.

## If you or someone you care for has bile duct cancer

- Ask whether the tumour has had broad genomic testing, and whether the test used can detect gene fusions (RNA-based testing usually helps here).
- If testing found an NRG1 fusion, ask what that means for treatment choices now and later.
- Remember that a positive result does not settle the question on its own: eligibility, timing, side effects and other options all need discussing with your oncology team.
""",
        "faqs": [
            (
                "What is an NRG1 fusion?",
                "NRG1 (neuregulin 1) is a gene whose protein normally acts as a signal that switches "
                "on growth receptors called HER3 and HER2. In a fusion, part of NRG1 is joined to "
                "part of a different gene. The hybrid protein that results can be over-produced and "
                "keeps that growth signal running, which drives the tumour. See "
                "[NRG1 fusions explained](/articles/nrg1-fusions-explained/).",
            ),
            (
                "How does a targeted therapy differ from chemotherapy?",
                "Chemotherapy damages cells that divide quickly, which includes healthy cells as "
                "well as cancer cells. A targeted therapy is designed to block the particular "
                "pathway a tumour relies on, here the signalling switched on by the NRG1 fusion, "
                "so it may cause less harm to the rest of the body. It still has side effects, and "
                "it only works if the tumour carries the target.",
            ),
            (
                "What is the National Priority Voucher program?",
                "It is an FDA pilot initiative that speeds up the review of selected medicines, "
                "including treatments for rare diseases with a substantial unmet need. Read our "
                "[explainer on the pilot](/articles/national-priority-voucher-pilot-explained/) "
                "for how it compares with older FDA programmes.",
            ),
        ],
        "references": [
            {
                "label": "FDA: Resources for information on approved drugs",
                "kind": "fda_label",
                "identifier": "",
                "url": "https://www.fda.gov/drugs/resources-information-approved-drugs",
            },
            {
                "label": "eNRGy: zenocutuzumab in solid tumours harbouring an NRG1 fusion (ClinicalTrials.gov)",
                "kind": "trial_registry",
                "identifier": "NCT02912949",
                "url": "https://clinicaltrials.gov/study/NCT02912949",
            },
            {
                "label": "FDA: Commissioner's National Priority Voucher (CNPV) pilot program",
                "kind": "web",
                "identifier": "",
                "url": "https://www.fda.gov/industry/commissioners-national-priority-voucher-cnpv-pilot-program",
            },
        ],
    },
    # ------------------------------------------------------------------ guide
    {
        "slug": "the-future-of-genomic-profiling",
        "title": "The Future of Genomic Profiling",
        "kind": "guide",
        "standfirst": (
            "Comprehensive genomic profiling reads many cancer genes in one test. This guide "
            "explains how it is done, who should ask about it, what a report contains and where "
            "its limits lie."
        ),
        "seo_description": (
            "A plain-language guide to comprehensive genomic profiling: tissue and blood tests, "
            "DNA and RNA panels, reading a report, limits, and testing at diagnosis."
        ),
        "topics": ["genomic-profiling", "targeted-therapy", "nrg1-fusion"],
        "published": "2026-10-27T09:00:00+00:00",
        "last_reviewed": "2026-11-19",
        "discussion_prompt": (
            "Has genomic testing been part of your care or the care of someone close to you? "
            "What would have made the process, or the report, easier to understand?"
        ),
        "body": """\
A growing number of cancer medicines work only when a tumour carries a particular genetic change. Finding those changes is the job of genomic profiling. This guide is for patients, carers and clinicians who want a clear picture of what the tests do, and what they do not.

## What comprehensive genomic profiling is

Comprehensive genomic profiling (CGP) uses next-generation sequencing to look at dozens to hundreds of cancer-related genes in a single test. Older approaches checked one gene at a time, which used up tissue and time. A broad panel can report, in one go:

- small changes in the DNA code (mutations), including insertions and deletions;
- genes present in extra copies (amplifications) or lost;
- gene fusions, where two genes have been joined together;
- whole-tumour signatures such as microsatellite instability (MSI) and tumour mutational burden.

### Tissue or blood

Most profiling is done on tumour tissue, usually the sample taken at biopsy or surgery. A liquid biopsy instead looks for tumour DNA circulating in the blood. Blood tests are quicker to arrange and avoid another procedure, but they can miss changes when a tumour sheds little DNA. The two are often used together; our article on [liquid biopsy](/articles/liquid-biopsy-what-it-can-and-cannot-tell-you/) goes into more detail.

### DNA and RNA

Many panels read DNA only. Some also read RNA, the working copy a cell makes from a gene. RNA testing matters most for fusions. The point where two genes break and join can fall in long stretches of DNA that panels cover poorly, whereas in RNA the fused message can be read directly. NRG1 fusions are a good example of a driver that DNA-only testing may miss, which is one reason the [zenocutuzumab approval](/articles/fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma/) puts testing in the spotlight.

## Who should ask about it

If you have an advanced or metastatic solid tumour, it is reasonable to ask whether profiling has been done or is planned. For some cancers, including advanced non-squamous lung cancer and bile duct cancer, broad panel testing is already recommended in major guidelines. It can also help in rare cancers, in cancers whose origin is unclear, and when someone is considering clinical trials. Ideally, testing happens early rather than after other treatments have run out.

## What a report looks like

Reports vary by laboratory, but most include:

- details of the sample, including how much of it was tumour;
- a list of genetic changes found, often with the fraction of DNA reads carrying each one;
- a grading of each change by how strong the evidence is that it matters for treatment;
- medicines approved for that change in this cancer or in others, and relevant trials;
- variants of unknown significance, listed separately;
- notes on quality and on anything the test could not assess.

A report is a starting point for discussion, not a prescription. Many hospitals hold molecular tumour boards where specialists review complex results together.

Tumour testing looks at changes in the cancer, but it can sometimes hint at a change a person was born with. If so, separate germline testing and genetic counselling may be offered, because the result could matter for relatives too.

## Limits worth knowing

- **Turnaround.** Results often take a couple of weeks or more, which can feel long when decisions are pressing.
- **Tissue quantity.** Small biopsies may not yield enough material, and a test can fail. A repeat biopsy or a blood test may be needed.
- **Cost and coverage.** Whether broad testing is paid for depends on the country, the health system or insurer, and the cancer type.
- **Variants of unknown significance.** Some changes cannot yet be interpreted. They should not drive treatment decisions on their own.
- **No match.** Many people will not have a change with an approved matching medicine. A trial may be the nearest option, and it may be far away.

## Where testing is heading

The trend is towards universal biomarker screening: comprehensive genomic profiling for every advanced solid tumour at diagnosis, not only for a few cancer types or at the end of the treatment path. The reasoning is simple. As more medicines are approved for rare drivers found across many organs, a patchwork of single-gene tests leaves too many people untested. Blood-based tests, faster sequencing and RNA panels are all likely to play a part, alongside better systems for explaining results to patients.

If you are unsure whether your tumour has been profiled, or what the report means, ask your oncology team to go through it with you.
""",
        "faqs": [
            (
                "Is genomic profiling the same as a genetic test for inherited cancer risk?",
                "No. Profiling looks at changes in the tumour itself, most of which were acquired "
                "during a person's life. Inherited (germline) testing uses a blood or saliva sample "
                "to look for changes present from birth. A tumour report can occasionally suggest "
                "an inherited change, which would then be checked separately.",
            ),
            (
                "What if my test finds nothing I can be treated for?",
                "That is a common outcome and does not mean the test was wasted: it can rule "
                "options in or out and may point to trials. Results can also become more useful "
                "as new medicines are approved, so it is worth asking whether your report will be "
                "reviewed again later.",
            ),
            (
                "Why might my team suggest RNA testing as well as DNA testing?",
                "RNA testing is generally better at detecting gene fusions, such as NRG1 fusions, "
                "which DNA-only panels can miss. It is most relevant when a fusion-driven cancer "
                "is suspected or when DNA testing found no driver.",
            ),
        ],
        "references": [
            {
                "label": "National Cancer Institute: Biomarker testing for cancer treatment",
                "kind": "web",
                "identifier": "",
                "url": "https://www.cancer.gov/about-cancer/treatment/types/biomarker-testing-cancer-treatment",
            },
            {
                "label": "National Cancer Institute: Targeted therapy to treat cancer",
                "kind": "web",
                "identifier": "",
                "url": "https://www.cancer.gov/about-cancer/treatment/types/targeted-therapies",
            },
        ],
    },
    # ------------------------------------------------------------------ NRG1 explainer
    {
        "slug": "nrg1-fusions-explained",
        "title": "NRG1 fusions explained",
        "kind": "explainer",
        "standfirst": (
            "NRG1 fusions are among the rarest cancer drivers, found in well under one per cent "
            "of solid tumours. Here is what they are, where they occur, how they are found and "
            "how zenocutuzumab is designed to block them."
        ),
        "seo_description": (
            "What an NRG1 gene fusion is, how it drives HER2/HER3 signalling, which cancers "
            "carry it, why RNA testing helps, and how zenocutuzumab works."
        ),
        "topics": ["nrg1-fusion", "lung-cancer", "pancreatic-cancer", "cholangiocarcinoma"],
        "published": "2026-10-14T09:00:00+00:00",
        "last_reviewed": "2026-11-17",
        "discussion_prompt": (
            "NRG1 fusions are rare enough that many clinicians will meet only a handful. How "
            "should rare findings like this be shared and explained so that patients are not "
            "left to piece things together alone?"
        ),
        "body": """\
Some cancers grow because a single genetic fault keeps a growth signal switched on. An NRG1 fusion is one such fault. It is rare, but it can be targeted, which is why finding it matters.

## What NRG1 normally does

NRG1 is the gene for neuregulin 1, a signalling protein. Neuregulin 1 acts as a ligand: it docks onto a receptor on the cell surface called HER3 (also known as ERBB3). HER3 belongs to the same family of receptors as HER2 and EGFR. On its own HER3 has little ability to pass signals into the cell, so once neuregulin binds, HER3 pairs up with a partner, most powerfully with HER2. The HER2–HER3 pair then switches on pathways inside the cell that encourage growth and survival.

In healthy tissue this system is tightly controlled and plays a part in development and in the nervous system and heart.

## What goes wrong in a fusion

In an NRG1 fusion, a break in the DNA joins part of the NRG1 gene to part of another gene. The resulting hybrid protein keeps the section of neuregulin that binds HER3, but it is now made under the control of its partner gene and can be over-produced and displayed on the cell surface. The result is a constant stimulus to HER3 and its partner HER2: a growth signal that no longer switches off.

Many different partner genes have been described. Which partner is involved matters less for treatment than the fact that the HER3-binding part of NRG1 is present.

## How common are NRG1 fusions?

Across solid tumours as a whole, NRG1 fusions are found in well under 1% of cases. They have been reported in:

- **lung cancer**, notably in invasive mucinous adenocarcinoma, a less common subtype;
- **pancreatic cancer**, particularly in the minority of tumours without a KRAS mutation;
- **bile duct cancer (cholangiocarcinoma)**;
- a range of other cancers, including some breast, colorectal, ovarian and sarcoma cases.

Because each of these groups is so small, no single hospital sees many patients. That is one reason studies of NRG1-targeted medicines recruit across many tumour types at once, as [basket trials](/articles/basket-trials-explained/).

## Why RNA testing helps

Fusions are harder to detect than simple mutations. In NRG1, the DNA breakpoints often fall inside long non-coding stretches of the gene that standard DNA panels cover only partly. When the cell reads the fused gene into RNA, those stretches are cut out and the two partner sequences sit side by side, so an RNA-based test can pick up the fusion directly. For this reason, many experts recommend RNA-based testing when looking for fusions, especially if DNA testing found no other driver. Our guide to [genomic profiling](/articles/the-future-of-genomic-profiling/) explains the different kinds of test.

## How zenocutuzumab works

Zenocutuzumab (zenocutuzumab-zbco, brand name Bizengri) is a bispecific antibody: a single molecule with two different arms. One arm binds HER2 and the other binds HER3. Anchoring on HER2 places the second arm where it can block HER3 from receiving the neuregulin signal, so the fusion protein can no longer drive HER2–HER3 pairing and the growth signal is damped down.

In the US, zenocutuzumab was first approved in December 2024, under accelerated approval, for certain adults with previously treated NRG1 fusion-positive non-small cell lung cancer or pancreatic adenocarcinoma. Bile duct cancer has since been added; our [news report](/articles/fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma/) covers that decision. The evidence for these approvals comes from the eNRGy trial, which enrols people with NRG1 fusions across tumour types.

Like any cancer medicine, it has side effects, and its prescribing information lists warnings including infusion reactions and the risk of harm in pregnancy. Whether it is suitable for someone depends on their cancer, their previous treatment and their overall health, which is a conversation for their oncology team.
""",
        "faqs": [
            (
                "Is an NRG1 fusion inherited?",
                "No. NRG1 fusions arise in the tumour during a person's lifetime and are not "
                "passed on to children. They are found by testing the tumour, or tumour DNA in "
                "the blood, not by an inherited-risk test.",
            ),
            (
                "My DNA test did not find an NRG1 fusion. Could it still be there?",
                "It is possible. DNA-only panels can miss some fusions, so if no driver was found "
                "your oncology team may consider RNA-based testing on the tumour sample, if enough "
                "tissue is available.",
            ),
        ],
        "references": [
            {
                "label": "eNRGy: zenocutuzumab in solid tumours harbouring an NRG1 fusion (ClinicalTrials.gov)",
                "kind": "trial_registry",
                "identifier": "NCT02912949",
                "url": "https://clinicaltrials.gov/study/NCT02912949",
            },
            {
                "label": "FDA: Resources for information on approved drugs",
                "kind": "fda_label",
                "identifier": "",
                "url": "https://www.fda.gov/drugs/resources-information-approved-drugs",
            },
            {
                "label": "National Cancer Institute: Targeted therapy to treat cancer",
                "kind": "web",
                "identifier": "",
                "url": "https://www.cancer.gov/about-cancer/treatment/types/targeted-therapies",
            },
        ],
    },
    # ------------------------------------------------------------------ basket trials
    {
        "slug": "basket-trials-explained",
        "title": "Basket trials: one medicine, many cancers",
        "kind": "explainer",
        "standfirst": (
            "Basket trials group patients by the genetic change in their tumour rather than by "
            "the organ where it began. They make research on rare drivers possible, but the "
            "evidence they produce has limits worth understanding."
        ),
        "seo_description": (
            "What basket trials are, how they differ from umbrella trials, why they suit rare "
            "cancer drivers, and what single-arm evidence can and cannot show."
        ),
        "topics": ["targeted-therapy", "ntrk-fusion", "msi-high", "fda-regulation"],
        "published": "2026-10-01T09:00:00+00:00",
        "last_reviewed": "2026-11-05",
        "discussion_prompt": (
            "Would you join a trial with no comparison group if it offered a medicine matched "
            "to your tumour's genetics? What information would you want before deciding?"
        ),
        "body": """\
Traditional cancer trials recruit people with one type of cancer, say advanced bowel cancer, and compare a new treatment with the current standard. That design struggles when the target of a new medicine is a genetic change found in only a tiny fraction of each cancer type. Basket trials are one answer.

## What a basket trial is

A basket trial tests one treatment, or one combination, in people who share a particular genetic change, whatever the organ their cancer started in. Each tumour type forms its own "basket" within the study, so a single trial might include lung, bile duct, colon and pancreatic cancers, analysed separately and together.

## Baskets, umbrellas and platforms

The terms are easy to mix up:

- **Basket trial:** one treatment, one biomarker, many cancer types.
- **Umbrella trial:** one cancer type, many biomarkers, with each patient directed to a treatment matched to their tumour. Lung-MAP, in lung cancer, is a well-known example.
- **Platform or master protocol:** a shared framework in which arms can open and close over time. The US National Cancer Institute's NCI-MATCH study used one large protocol to assign people with many cancer types to sub-studies according to the changes in their tumours.

## Why baskets suit rare drivers

When a driver turns up in, say, one or two cancers in a hundred of several types, no single tumour type can supply enough patients for a conventional trial. Pooling across organs makes recruitment feasible. It also tests a biological question directly: does blocking this driver work regardless of where the tumour began? The answer is not always yes. The same change can behave differently in different tissues, so results are usually reported for each basket as well as overall.

## What single-arm evidence can show

Most basket trials give every participant the study treatment, with no control arm.

### Response rate as an endpoint

The main measure is usually the response rate: the share of people whose tumours shrink by a set amount on scans, along with how long that shrinkage lasts. Because advanced tumours rarely shrink on their own, a clear and lasting response is reasonable evidence that the medicine is doing something.

### What is missing without a control arm

Without a comparison group, a trial cannot reliably show whether people live longer or feel better than they would on other treatment. Small numbers also mean wide uncertainty around every estimate, and the people who enrol may be fitter than the wider population. For very rare cancers, even the natural course of the disease may be poorly understood.

### Confirmatory evidence

Regulators often treat approvals built on response rates as provisional. In the US, accelerated approval lets the FDA approve a medicine on this kind of evidence while requiring further studies to confirm benefit. Confirmation can come from larger cohorts, longer follow-up, real-world data or, where feasible, randomised trials.

## Milestones so far

Tissue-agnostic approvals, which cover a biomarker wherever the tumour started, grew out of this way of working:

- In 2017, the FDA granted accelerated approval to pembrolizumab, an immunotherapy, for solid tumours that are MSI-high or mismatch-repair deficient. It was the first approval defined by a biomarker rather than a tumour site, and it drew on pooled data from several single-arm studies.
- For NTRK gene fusions, larotrectinib (2018) and entrectinib (2019) followed, each supported by small groups of patients across many tumour types, adults and children included.
- Further tissue-agnostic approvals have since covered other rare drivers, and the [NRG1 story](/articles/nrg1-fusions-explained/) is built on the same basket design.

These medicines have helped people who had few other options. They also illustrate the trade-off: faster access in exchange for less certainty at the time of approval.

## If you are offered a basket trial

Ask how your tumour's change was found, what is known so far about the medicine in your cancer type, how side effects are monitored, and what happens if the treatment stops working. Your oncology team can help weigh a trial against other options. For the testing that makes enrolment possible, see our guide to [genomic profiling](/articles/the-future-of-genomic-profiling/).
""",
        "faqs": [
            (
                "Is a basket trial a lower-quality trial?",
                "Not necessarily, but it answers a narrower question. It shows well whether "
                "tumours shrink and for how long; it shows less well how a medicine compares with "
                "other treatment, which is why further evidence is usually expected after approval.",
            ),
            (
                "What does tissue-agnostic mean?",
                "It describes an approval or treatment defined by a biomarker, such as an NTRK "
                "fusion or MSI-high status, rather than by the organ where the cancer started. The "
                "biomarker still has to be found by testing the tumour.",
            ),
        ],
        "references": [
            {
                "label": "FDA: Accelerated approval of pembrolizumab for the first tissue/site-agnostic indication (2017)",
                "kind": "fda_label",
                "identifier": "",
                "url": "https://www.fda.gov/drugs/resources-information-approved-drugs/fda-grants-accelerated-approval-pembrolizumab-first-tissuesite-agnostic-indication",
            },
            {
                "label": "National Cancer Institute: NCI-MATCH precision medicine trial",
                "kind": "web",
                "identifier": "",
                "url": "https://www.cancer.gov/about-cancer/treatment/clinical-trials/nci-supported/nci-match",
            },
            {
                "label": "FDA: Accelerated approval",
                "kind": "web",
                "identifier": "",
                "url": "https://www.fda.gov/patients/fast-track-breakthrough-therapy-accelerated-approval-priority-review/accelerated-approval",
            },
        ],
    },
    # ------------------------------------------------------------------ regulation explainer
    {
        "slug": "national-priority-voucher-pilot-explained",
        "title": "The National Priority Voucher pilot, explained",
        "kind": "explainer",
        "standfirst": (
            "The FDA's National Priority Voucher pilot promises much shorter reviews for selected "
            "medicines. How does it work, how does it differ from older fast-track tools, and "
            "what questions remain open?"
        ),
        "seo_description": (
            "How the FDA's National Priority Voucher pilot works, how it compares with accelerated "
            "approval and priority review vouchers, and the open questions."
        ),
        "topics": ["fda-regulation", "targeted-therapy"],
        "published": "2026-11-05T09:00:00+00:00",
        "last_reviewed": "2026-11-18",
        "discussion_prompt": (
            "Faster reviews help patients only if the evidence holds up afterwards. What would "
            "make you confident that a medicine approved in weeks rather than months was the "
            "right call?"
        ),
        "body": """\
When the FDA approved zenocutuzumab for NRG1 fusion-positive bile duct cancer, it used a new route: the Commissioner's National Priority Voucher pilot program. This explainer sets out what the pilot is, how it relates to tools the agency already had, and what remains uncertain. For the approval itself, see our [news report](/articles/fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma/).

## What the pilot is

The FDA announced the pilot in June 2025. A company that holds a national priority voucher can have a qualifying application reviewed on a much shorter timeline: the agency's stated aim is a decision within one to two months of the final submission, compared with the ten to twelve months a standard review usually takes.

The speed comes mainly from changing how the review is organised. Instead of passing an application between many separate offices, a multidisciplinary team of FDA specialists reviews it together, in a format the agency compares to a hospital tumour board. Voucher holders also get closer communication with the agency and can submit parts of their application early. The FDA has said the clock can be extended if an application is incomplete or raises problems.

## Who can get a voucher

Vouchers are awarded by the FDA, in limited numbers, to products that match national priorities it has set out. These include large unmet medical needs (which covers rare diseases), public health crises, innovative therapies, domestic manufacturing and affordability.

For ultra-rare precision oncology, unmet need is the relevant priority. Where a genetic driver is so rare that a large randomised trial is impossible, the pilot offers a shorter review and alternative pathways. Supporters expect it to lower development costs and risk and to bring medicines to patients sooner.

## How it relates to older mechanisms

The pilot does not replace the FDA's existing expedited programmes; the agency describes them as separate and able to be used together.

### Accelerated approval

Accelerated approval allows a medicine for a serious condition to be approved on an early measure, such as tumour shrinkage, that is considered reasonably likely to predict real clinical benefit. Companies are then expected to confirm that benefit, and the approval can be withdrawn if they do not. Much of precision oncology has relied on this route.

### Breakthrough therapy designation

Breakthrough therapy designation is given during development when early clinical evidence suggests a substantial improvement over existing treatment. It brings more intensive FDA guidance, but it does not by itself shorten the final review to weeks.

### Priority review and priority review vouchers

A priority review shortens the FDA's target for acting on an application from about ten months to about six. Separately, Congress created priority review vouchers, including one for rare paediatric diseases, which reward a company for developing a qualifying medicine with a voucher it can use to speed up a later application. Those vouchers can be sold and have changed hands for large sums.

National priority vouchers are different on this point: the FDA states that they cannot be transferred to another company, though they remain valid if the company is bought. Claims that they work as tradable assets should be read with that in mind.

## Open questions

- **Confirmation after approval.** A faster review does not produce more data. When approval rests on a small single-arm cohort, how will confirmatory evidence be collected, and what happens if it disappoints?
- **Equity.** Vouchers are discretionary and few. Observers have asked how transparently they are awarded, and whether smaller developers and rarer diseases compete on equal terms.
- **Access after approval.** A medicine for a rare driver reaches only people whose tumours are tested. Differences in access to [genomic profiling](/articles/the-future-of-genomic-profiling/) can turn into differences in access to treatment.
- **Review quality.** Some have asked whether compressing the timetable could strain review teams. The FDA has said it intends to seek public feedback on how the pilot works.

## What it means for patients

A shorter review can mean earlier access, but it does not change what is known about a medicine's benefits and risks at the time of approval. Ask your oncology team what the evidence for a new medicine consists of, and how it applies to your situation.
""",
        "faqs": [
            (
                "Does a faster review mean a lower standard of evidence?",
                "The pilot is meant to change how and how quickly an application is reviewed; the FDA "
                "presents it as a faster process rather than a lower bar. The evidence behind any one approval can still "
                "be limited, for example when it comes from a small single-arm trial, so it is "
                "worth asking what that evidence is.",
            ),
            (
                "Can a national priority voucher be sold?",
                "According to the FDA, no: these vouchers cannot be transferred to another company, "
                "although they stay valid if the holder changes ownership. That sets them apart from "
                "older priority review vouchers, such as those for rare paediatric diseases, which "
                "can be sold.",
            ),
        ],
        "references": [
            {
                "label": "FDA: Commissioner's National Priority Voucher (CNPV) pilot program",
                "kind": "web",
                "identifier": "",
                "url": "https://www.fda.gov/industry/commissioners-national-priority-voucher-cnpv-pilot-program",
            },
            {
                "label": "FDA: FAQs on the Commissioner's National Priority Voucher pilot program",
                "kind": "web",
                "identifier": "",
                "url": "https://www.fda.gov/news-events/press-announcements/faqs-commissioners-national-priority-voucher-program",
            },
            {
                "label": "FDA: Accelerated approval",
                "kind": "web",
                "identifier": "",
                "url": "https://www.fda.gov/patients/fast-track-breakthrough-therapy-accelerated-approval-priority-review/accelerated-approval",
            },
        ],
    },
    # ------------------------------------------------------------------ liquid biopsy
    {
        "slug": "liquid-biopsy-what-it-can-and-cannot-tell-you",
        "title": "Liquid biopsy: what it can and cannot tell you",
        "kind": "explainer",
        "standfirst": (
            "A blood test that reads tumour DNA can spare some people another biopsy and speed up "
            "results. It can also miss things. Here is how to make sense of it."
        ),
        "seo_description": (
            "What a liquid biopsy measures, when it helps, why a negative result is not the final "
            "word, and how blood and tissue testing work together."
        ),
        "topics": ["genomic-profiling", "lung-cancer", "targeted-therapy"],
        "published": "2026-09-15T09:00:00+00:00",
        "last_reviewed": "2026-10-28",
        "discussion_prompt": (
            "Blood tests for tumour DNA are quicker and less invasive, but less complete than "
            "tissue. If you had the choice, how would you weigh speed against certainty?"
        ),
        "body": """\
"Liquid biopsy" usually means a blood test that looks for DNA released by a cancer. It has become a routine part of care for some advanced cancers, especially lung cancer. It is useful, but it answers a narrower question than many people expect.

## What it looks for

As tumour cells grow and die, they shed small fragments of DNA into the bloodstream, known as circulating tumour DNA (ctDNA). A liquid biopsy separates this DNA from the much larger amount released by healthy cells and sequences it, looking for the same kinds of changes a tissue test would: mutations, some copy-number changes, some fusions, and markers such as microsatellite instability.

## When it helps

- **When tissue is scarce.** If the original biopsy was small or has been used up, a blood sample may provide an answer without another procedure.
- **When a biopsy is risky.** Some tumours sit in places that are hard or unsafe to reach with a needle.
- **When time matters.** Blood tests can often be arranged and reported more quickly than a new tissue biopsy.
- **When a cancer changes.** If a cancer starts growing during targeted treatment, a blood test can sometimes show which new change is responsible, helping to choose what comes next.

## What it can miss

A liquid biopsy can only find what is in the sample. Some tumours release very little DNA into the blood, for example when the cancer is small or confined to certain sites. In that case the test may find nothing, even though the tumour carries an important change.

This is why a negative liquid biopsy is not the final word. "No change detected" means the test did not find one, not that none exists. Most guidelines advise following a negative blood result with tissue testing where possible.

Other limits are worth knowing:

- **Fusions are harder.** Most blood tests read DNA, and some fusions, including NRG1 fusions, are difficult to detect from DNA alone. RNA testing on tissue is usually more reliable for these; our guide to [genomic profiling](/articles/the-future-of-genomic-profiling/) explains why.
- **Blood cells have mutations too.** As people age, some blood-forming cells acquire harmless mutations, a process called clonal haematopoiesis. These can show up in a liquid biopsy and be mistaken for tumour changes, so reports need careful interpretation.
- **Amounts are not the same as size.** The proportion of tumour DNA in a sample is not a direct measure of how much cancer is present.

## Tissue and blood together

In practice, the two approaches are complementary. Many teams start both at once, or begin with whichever is faster and follow up with the other if needed. A positive blood result for a well-known driver can be enough to guide treatment; a negative or unclear result usually calls for tissue testing.

## A different question: screening

Blood tests that aim to detect cancer in people without symptoms are a separate use, with different evidence questions, and are still being studied. This article is about testing people who already have a cancer diagnosis.

## Questions to ask

- Was my cancer tested on tissue, blood or both?
- If the blood test found nothing, is tissue testing planned?
- Could the test used detect fusions, or would RNA testing be needed?

Your oncology team can explain which approach fits your situation. For how testing shapes treatment for rare drivers, see our article on [NRG1 fusions](/articles/nrg1-fusions-explained/).
""",
        "faqs": [
            (
                "Can a liquid biopsy replace a tissue biopsy?",
                "Not usually. A tissue biopsy is still needed to diagnose cancer and to confirm its "
                "type. For genomic testing, blood can sometimes stand in for tissue, but a negative "
                "blood result is generally followed up with tissue testing.",
            ),
            (
                "Why might a liquid biopsy find nothing?",
                "The tumour may shed too little DNA into the blood for the test to detect, or the "
                "change may be of a kind, such as certain fusions, that blood tests find less "
                "reliably. It does not mean the tumour has no driver.",
            ),
        ],
        "references": [
            {
                "label": "National Cancer Institute dictionary: liquid biopsy",
                "kind": "web",
                "identifier": "",
                "url": "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/liquid-biopsy",
            },
            {
                "label": "National Cancer Institute: Biomarker testing for cancer treatment",
                "kind": "web",
                "identifier": "",
                "url": "https://www.cancer.gov/about-cancer/treatment/types/biomarker-testing-cancer-treatment",
            },
        ],
    },
]
