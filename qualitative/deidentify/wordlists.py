"""Words that are capitalised in transcripts without being anyone's name (compared case-folded).

Three groups: function words and discourse markers (capitalised after a quote or in ASR output), calendar and
holiday words, and the implementation and treatment vocabulary of the MIO project (programs, frameworks, tools,
roles, services). Extend per project with ``propose_redactions(..., extra_common_words=...)``.
"""

from __future__ import annotations

FUNCTION_WORDS = frozenset(
    """
    a about above after again against all also although am an and another any anybody anyone anything are around
    as at be because been before being below between both but by can could did do does doing done down during each
    either else even ever every everybody everyone everything few for from further had has have having he her here
    hers herself him himself his how however i if in into is it its itself just least less let like many may me
    might mine more most much must my myself neither never no nobody none nor not nothing now of off often on once
    one only or other others our ours ourselves out over own perhaps please quite rather really same she should
    since so some somebody someone something sometimes still such than that the their theirs them themselves then
    there therefore these they this those though through thus to today together tomorrow too toward towards under
    until up upon us very was we were what whatever when whenever where whether which while who whoever whom whose
    why will with within without would yes yet you your yours yourself yourselves yesterday
    okay ok oh um uh umm hmm mhm mm yeah yep nope well right so sure thanks thank hi hello bye alright anyway actually
    basically honestly literally maybe probably definitely absolutely exactly totally wow gosh
    first second third next last finally also plus
    two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
    """.split()
)

CALENDAR_WORDS = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays
    saturdays sundays weekend january february march april may june july august september october november
    december christmas thanksgiving easter halloween hanukkah ramadan kwanzaa
    """.split()
)

DOMAIN_WORDS = frozenset(
    """
    mio mothering inside outside cfir eric frame re-aim reaim proctor sic aim iam fim ebp ebps
    zoom teams otter word excel google gmail outlook facebook instagram tiktok snapchat youtube iphone android
    medicaid medicare wic snap dcf cps dss acs ssi tanf hipaa irb covid
    suboxone subutex methadone buprenorphine vivitrol naltrexone narcan naloxone fentanyl heroin opioid opioids
    aa na cbt dbt mat moud iop php sud oud ptsd adhd
    god jesus lord bible church english spanish american
    mom mommy mama dad daddy papa grandma grandpa granny nana auntie uncle aunt baby babe sir maam ma'am
    counselor counsellor clinician therapist supervisor facilitator interviewer moderator participant speaker
    doctor nurse director manager coordinator staff team clinic agency center centre program programme group
    session sessions module unit case caseload supervision consultation training trainer coach
    interviewee respondent mother mothers parent parents child children kid kids
    """.split()
)

TITLES = frozenset("dr mr mrs ms miss mx prof professor".split())

COMMON_WORDS = FUNCTION_WORDS | CALENDAR_WORDS | DOMAIN_WORDS | TITLES
