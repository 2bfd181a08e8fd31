"""The lexical rules of Stanford PTBTokenizer 3.4.1 (PTBLexer.flex), as Python regexes.

Each rule is ``(main, trailing_context, action)`` in the lexer's priority order. The
scanner in ptb.py picks the rule whose main + trailing context match is longest (first
rule on ties), as JFlex does. Only the options COCO's evaluation uses are modelled:
ptb3Escaping defaults (-LRB-, latex quotes, "--" dashes, "..." ellipses), no
Americanization, no slash/asterisk escaping, newlines as tokens (-preserveLines).

The lexer is caseless for literal words but not inside character classes, so literal
alternatives are wrapped in ``(?i:...)`` and classes are spelled with both cases where
the original has them.
"""
from __future__ import annotations

import re
import unicodedata


def _letter_class() -> str:
    """[:letter:] of JFlex: every BMP code point whose category is a letter (L*)."""
    ranges, start, prev = [], None, None
    for cp in range(0x10000):
        ok = 0xD800 > cp or cp > 0xDFFF
        if ok and unicodedata.category(chr(cp))[0] == "L":
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            ranges.append((start, prev))
            start = None
    if start is not None:
        ranges.append((start, prev))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)


_L = _letter_class()
# letters plus soft hyphen and the combining/extra ranges PTBLexer adds to LETTER
LETTER_CHARS = _L + r"\u00AD\u0237-\u024F\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02FF\u0300-\u036F"
L = f"[{LETTER_CHARS}]"
ALPHA = f"[{_L}]"
D = r"[0-9\u0660-\u0669\u06F0-\u06F9\u0966-\u096F\uFF10-\uFF19]"
NOT_ALPHA = f"[^{_L}]"
NOT_ALNUM = f"[^{_L}0-9]"

SPACE = r"[ \t\u00A0\u2000-\u200A\u3000]"
NEWLINE = r"(?:\r\n|\r|\n|\u2028|\u2029|\u000B|\u000C|\u0085)"
SPACENL = f"(?:{SPACE}|{NEWLINE})"
SPACENL_ONE = r"[ \t\u00A0\u2000-\u200A\u3000\r\n\u2028\u2029\u000B\u000C\u0085]"
NOT_SPACENL_ONE = r"[^ \t\u00A0\u2000-\u200A\u3000\r\n\u2028\u2029\u000B\u000C\u0085]"
UPPER = "[A-Z\u00C0-\u00D6\u00D8-\u00DE]"

_NAME = r"[A-Za-z][A-Za-z0-9_:.\-]*"
SGML = (rf"<(?:[!?][A-Za-z\-][^>\r\n]*|{_NAME}(?:[ ]+(?:{_NAME}|{_NAME}[ ]*=[ ]*"
        rf"(?:'[^']*'|\"[^\"]*\"|{_NAME})))*[ ]*/?|/{_NAME})[ ]*>")
SPMDASH = r"&(?i:MD|mdash|ndash);|[\u0096\u0097\u2013\u2014\u2015]"
SPAMP = r"(?i:&amp;)"
SPPUNC = r"&(?i:HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);"
NUM = rf"{D}*(?:[.,\u066B\u066C]{D}+)+|{D}+(?:[.:,\u00AD\u066B\u066C\u2009\u202F]{D}+)*"
NUMBER = rf"[\-+]?(?:{NUM})"
DATE = rf"{D}{{1,2}}[\-/]{D}{{1,2}}[\-/]{D}{{2,4}}"
FRAC = rf"(?:{D}{{1,4}}[- \u00A0])?{D}{{1,4}}(?:\\?/|\u2044){D}{{1,4}}"
FRAC2 = "[\u00BC\u00BD\u00BE\u2153-\u215E]"
WORD = rf"{L}(?:{L}|{D})*(?:[.!?]{L}(?:{L}|{D})*)*"
APOS = "(?:['\u0092\u2019\u00B4]|(?i:&apos;))"
APOSETC = f"(?:{APOS}|[`\u0091\u2018\u201B])"
REDAUX = rf"{APOS}(?:[msdMSD]|(?i:re|ve|ll))"
SWORD = rf"[{_L}\u00AD]*[A-MO-Za-mo-z]\u00AD*"
SREDAUX = rf"[nN]{APOSETC}[tT]"
APOWORD = (rf"{APOS}[nN]{APOS}?|[lLdDjJ]{APOS}|(?i:Dunkin){APOS}|(?i:somethin){APOS}|(?i:ol){APOS}"
           rf"|{APOS}(?i:em)|[A-HJ-XZn]{APOSETC}{ALPHA}{{2}}{ALPHA}*|{APOS}[2-9]0(?i:s)"
           rf"|{APOS}(?i:till?)|{ALPHA}{ALPHA}*[aeiouyAEIOUY]{APOSETC}[aeiouA-Z]{ALPHA}*"
           rf"|{APOS}(?i:cause)|(?i:cont'd\.?|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)"
           rf"|[oO]{APOSETC}[oO]")
FULLURL = (r"(?i:ftp|svn|svn\+ssh|http|https|mailto)://[^ \t\n\f\r\"<>|(){}\[\]]+"
           r"[^ \t\n\f\r\"'<>|.!?(){},;:&\[\]-]")
LIKELYURL = (r"(?:(?:(?i:www)\.(?:[^ \t\n\f\r\"<>|.!?(){},]+\.)+[a-zA-Z]{2,4})"
             r"|(?:(?:[^ \t\n\f\r\"`'<>|.!?(){},\-_$]+\.)+(?i:com|net|org|edu)))"
             r"(?:/[^ \t\n\f\r\"<>|()]+[^ \t\n\f\r\"<>|.!?(){},-])?")
EMAIL = r"(?:(?i:&lt;)|<)?(?:(?i:mailto):)?[a-zA-Z0-9._%+-]+@[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9](?:(?i:&gt;)|>)?"
TWITTER = rf"[@\uFF20][a-zA-Z_][a-zA-Z_0-9]*|[#\uFF03]{L}(?:{L}|{D}|_)*(?:{L}|{D})"
HYPHEN = "[-_\u058A\u2010\u2011]"
THING = (rf"(?:[dDoOlL]{APOSETC}(?:{L}|{D}))?(?:{L}|{D})+"
         rf"(?:{HYPHEN}(?:[dDoOlL]{APOSETC}(?:{L}|{D}))?(?:{L}|{D})+)*")
THINGA = r"[A-Z]+(?:(?:[+&]|(?i:&amp;))[A-Z]+)+"
THING3 = r"[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}"
ACRO2 = r"[A-Za-z](?:\.[A-Za-z])+|(?i:Canada|Sino|Korean|EU|Japan|non)-(?i:U\.S)|(?i:U\.S\.-(?:U\.K|U\.S\.S\.R))"
ACRO = r"[A-Za-z](?:\.[A-Za-z])*|(?i:Canada|Sino|Korean|EU|Japan|non)-(?i:U\.S)|(?i:U\.S\.-(?:U\.K|U\.S\.S\.R))"
HTHING = rf"[A-Za-z0-9][A-Za-z0-9.,\u00AD]*(?:-(?:[A-Za-z0-9\u00AD]+|(?:{ACRO2})\.))+"
DOLSIGN = r"[A-Z]*\$|#"
DOLSIGN2 = "[\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AA\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6]"

ABMONTH = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
ABDAYS = "Mon|Tue|Tues|Wed|Thu|Thurs|Fri"
ABSTATE_CI = ("Ala|Ariz|Calif|Colo|Conn|Ct|Dak|Fla|Ga|Ind|Kans?|Ky|Md|Mich|Minn|Mo|Mont|Neb|Nev|"
              "Okla|Penn|Tenn|Va|Vt|Wisc?|Wyo")
ABSTATE_CS = "Az|Ark|Del|Ill|La|Mass|Miss|Ore|Pa|Tex|Wash"  # first letter is case-sensitive
ABCOMP = "Inc|Cos?|Corp|Pp?t[ye]s?|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys"
ABBREV1 = (rf"(?:(?i:{ABMONTH}|{ABDAYS}|{ABSTATE_CI}|{ABCOMP}|tel|est|ext|sq|Jr|Bros|(?:Ed|Ph)\.D|Esq"
           rf"|etc|al|seq|Bldg)|(?:{'|'.join(s[0] + '(?i:' + s[1:] + ')' for s in ABSTATE_CS.split('|'))}))\.")
ABTITLE = ("Mr|Mrs|Ms|Mx|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|"
           "Capt|Ste?|Ave|Pres|Lieut|Rt|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|"
           "Insp|Mlle|Mme|Msgr|Sfc|Sr")
ABBREV4 = (rf"(?i:{ABTITLE}|vs|Alex|Wm|Jos|Cie|a\.k\.a|cf|TREAS|Ph|Invt|Elec|Natl|M[ft]g|Dept|Blvd|Rd)"
           rf"|M(?i:iss)|v|{ACRO}")
ABBREV3 = r"(?i:ca|figs?|prop|nos?|sect?s?|arts?|paras?|bldg|pp|op|approx|rs)\.|P(?i:t)\."
ACRONYM_NEXT = ("[A](?i:bout|ccording|dditionally|fter|n|s|t)|[A]|[B](?i:ut)|[D](?i:id|uring)|[E](?i:arlier)"
                "|[H](?i:e|er|ere|ow|owever)|[I](?i:f|n|t)|[L](?i:ast)|[M](?i:any|ore|r\\.|s\\.)"
                "|[N](?i:ow)|[O](?i:nce|ne|ther|ur)|[S](?i:he|ince|o|ome|uch)"
                "|[T](?i:hat|he|heir|hen|here|hese|hey|his)|[W](?i:e|hen|hile|hat|ho|hy)|[Y](?i:et|ou)")
PHONE = (r"(?:\([0-9]{2,3}\)[ \u00A0]?|(?:\+\+?)?(?:[0-9]{2,4}[\- \u00A0])?[0-9]{2,4}[\- \u00A0])"
         r"[0-9]{3,4}[\- \u00A0]?[0-9]{3,5}|(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}")
DBLQUOT = "\"|(?i:&quot;)|[`'\u0091\u0092\u2018\u2019]'"
QUOTES = f"{APOS}|[`\u2018-\u201F\u0082\u0084\u0091-\u0094\u2039\u203A\u00AB\u00BB]{{1,2}}"
TBSPEC = (rf"-(?i:RRB|LRB|RCB|LCB|RSB|LSB)-|(?i:C\.D\.s|pro-|anti-|S(?:&|&amp;)P-500|S(?:&|&amp;)Ls)"
          rf"|(?i:Cap){APOS}[nN]|[cC]{APOS}(?i:est)")
SMILEY = r"[<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]]"
ASIANSMILEY = (r"[\^x=~<>]\.\[\^x=~<>]|[\-\^x=~<>']_[\-\^x=~<>']|\([\-\^x=~<>'][_.]?[\-\^x=~<>']\)"
               r"|\([\^x=~<>']-[\^x=~<>'`]\)")
LDOTS = r"\.\.\.+|[\u0085\u2026]"
SPACEDLDOTS = r"\.[ \u00A0](?:\.[ \u00A0])+\."
MISCSYMBOL = ("[+%&~^|\\\\\u00A6\u00A7\u00A8\u00A9\u00AC\u00AE\u00AF\u00B0-\u00B3\u00B4-\u00BA\u00D7"
              "\u00F7\u0387\u05BE\u05C0\u05C3\u05C6\u05F3\u05F4\u0600-\u0603\u0606-\u060A\u060C"
              "\u0614\u061B\u061E\u066A\u066D\u0703-\u070D\u07F6-\u07F8\u0964\u0965\u0E4F\u1FBD"
              "\u2016\u2017\u2020-\u2025\u2030-\u2038\u203B\u203C\u2043\u203E-\u2042\u2044"
              "\u207A-\u207F\u208A-\u208E\u2100-\u214F\u2190-\u21FF\u2200-\u2BFF\u3001-\u3006"
              "\u3008-\u3020\u30FB\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65]")

# (main, trailing context or None, action); order is the lexer's rule priority
RULES: list[tuple[str, str | None, str]] = [
    (r"(?i:c\+\+|[cf]#)", None, "text"),
    (r"(?i:cannot|'twas)", None, "push3"),
    (r"(?i:'tis|gonna|gotta|lemme|gimme|wanna)", None, "push2"),
    (SGML, None, "sgml"),
    (SPMDASH, None, "dash"),
    (SPAMP, None, "amp"),
    (SPPUNC, None, "text"),
    (WORD, REDAUX, "soft"),
    (SWORD, SREDAUX, "soft"),
    (WORD, None, "soft"),
    (APOWORD, None, "text"),
    (r"[yY]" + APOS, L, "text"),
    (FULLURL, None, "text"),
    (LIKELYURL, None, "text"),
    (EMAIL, None, "text"),
    (TWITTER, None, "text"),
    (REDAUX, NOT_ALPHA, "quote_right"),
    (SREDAUX, NOT_ALPHA, "quote_right"),
    (DATE, None, "text"),
    (NUMBER, None, "soft"),
    ("[\u207A\u207B\u208A\u208B]?(?:[\u2070\u00B9\u00B2\u00B3\u2074-\u2079]+|[\u2080-\u2089]+)", None, "text"),
    (FRAC, None, "nbsp"),
    (FRAC2, None, "frac2"),
    (TBSPEC, None, "amp"),
    (THING3, None, "text"),
    (DOLSIGN, None, "text"),
    (DOLSIGN2, None, "currency"),
    (rf"(?:{ACRO})\.", rf"{SPACENL}+(?:{ACRONYM_NEXT}|{SGML})(?:{SPACENL}|[?!])", "acronym"),
    (ABBREV3, rf"{SPACENL}?{D}", "text"),
    (r"(?i:So\.|No\.)", rf"{SPACENL}+(?i:Africa|Korea|Cal)", "text"),
    (r"(?i:pt[ey]|co)\.", rf"{SPACE}(?i:ltd|lim)", "text"),
    (ABBREV1, rf"{SPACENL}(?:{SPACENL}|{UPPER}|{SGML})", "abbrev1"),
    (ABBREV1, r"[\s\S][\s\S]", "text"),
    (ABBREV1, None, "abbrev1"),
    (rf"(?:{ABBREV4})\.", None, "text"),
    (ABBREV4, SPACE, "text"),
    (ACRO, SPACENL, "text"),
    (rf"{APOS}[0-9][0-9]", SPACENL, "text"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[x0-9]{2}:[0-9]{2}Z?", None, "text"),
    ("\u00B0[CFcf]", None, "text"),
    (WORD + r"\.", "[,;:\u3001]", "soft"),
    (PHONE, None, "phone"),
    (DBLQUOT, f"[{_L}0-9$]", "quote_left"),
    (DBLQUOT, None, "quote_right"),
    ("\x7f", None, "skip"),
    (r"<|(?i:&lt;)", None, "lt"),
    (r">|(?i:&gt;)", None, "gt"),
    (SMILEY, NOT_ALNUM, "parens"),
    (ASIANSMILEY, None, "parens"),
    (r"\{", None, "lcb"), (r"\}", None, "rcb"), (r"\[", None, "lsb"), (r"\]", None, "rsb"),
    (r"\(", None, "lrb"), (r"\)", None, "rrb"),
    (r"-+", None, "hyphens"),
    (LDOTS, rf"\.{SPACENL}+{L}", "ellipsis"),
    (SPACEDLDOTS, rf"{SPACE}\.{SPACENL}+{L}", "ellipsis"),
    (rf"{LDOTS}|{SPACEDLDOTS}", None, "ellipsis"),
    (r"@+|#+|_+", None, "text"),
    (r"\*+|(?:\\\*){1,3}", None, "text"),
    ("[,;:\u3001]", None, "text"),
    (r"[?!]+", None, "text"),
    ("[.\u00A1\u00BF\u037E\u0589\u061F\u06D4\u0700-\u0702\u07FA\u3002]", None, "text"),
    (r"=", None, "text"),
    (r"/", None, "text"),
    (HTHING, None, "soft"),
    (HTHING + r"\.", "[,;:\u3001]", "soft"),
    (THING, None, "text"),
    (THINGA + r"\.", "[,;:\u3001]", "amp"),
    (THINGA, None, "amp"),
    (QUOTES, f"{L}{NOT_SPACENL_ONE}", "quote_left"),
    (QUOTES, f"[AaIiUu]{SPACENL_ONE}", "quote_left"),
    (QUOTES, None, "quote_right"),
    (REDAUX, None, "quote_right"),
    (SREDAUX, None, "quote_right"),
    (r"<<|>>", None, "text"),
    (MISCSYMBOL, None, "text"),
    ("[\u0086\u0087\u0089\u0095\u0098\u0099]", None, "text"),
    (f"\\x00|{SPACE}+|[\u200B\u200E\u200F\uFEFF]", None, "skip"),
    (NEWLINE, None, "newline"),
    (r"(?i:&nbsp;)", None, "skip"),
]


def compile_rules() -> list[tuple[re.Pattern, object, str]]:
    """Each rule as (quick test, exact matcher, action). The exact matcher's group 1 is the
    token text and its whole match includes the trailing context; it is POSIX
    (leftmost-longest), as JFlex's DFA is. Both accept the same strings, so the fast
    backtracking ``re`` pattern decides whether the slow POSIX one needs to run."""
    import regex
    out = []
    for main, trail, action in RULES:
        pattern = f"({main})" + (f"(?:{trail})" if trail else "")
        out.append((re.compile(pattern), regex.compile(pattern, flags=regex.POSIX), action))
    return out

