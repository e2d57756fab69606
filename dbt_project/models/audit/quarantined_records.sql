-- Grain: one row per rejected line, or per rejected whole file (line_number
-- null). The extraction's rejects, with personal data taken out (landing
-- contract, Identity): this table is published, raw.quarantined_records in
-- the WORK database keeps the text as read for data engineers.
--   roster and identities.csv line: raw_text keeps only the employee_id;
--                detail only the name of the field at fault (a value could
--                be a salary, a name, a login or an account id)
--   Copilot / LiteLLM line: the GitHub login / LiteLLM user id (when not an
--                email) becomes a keyed pseudonym (macros/pseudonymize_value.sql)
--   other lines: every email address in raw_text and detail becomes a
--                stable keyed pseudonym (macros/pseudonymize_emails.sql)

with

quarantined as (

    select
        *,
        source = 'roster'
        or (source = 'reference' and source_file like '%identities%') as keeps_key_only,
        -- the identity a Copilot or LiteLLM line names, as the text spells it
        -- (an email is left to pseudonymize_emails)
        case
            when source = 'copilot'
                then regexp_extract(raw_text, '"user_login" *: *"([^"]*)"', 1)
            when source = 'litellm'
                then regexp_extract(raw_text, '"user" *: *"([^"@]*)"', 1)
        end as tool_identity
    from {{ ref('stg_landing__quarantined_records') }}

),

pseudonym_key as (

    -- one row, written by the extraction (orchestration/extract/store.py)
    select max(pseudonym_key) as key_text
    from {{ source('landing', 'pseudonym_key') }}

),

redacted as (

    select
        quarantined.source,
        quarantined.source_file,
        quarantined.line_number,
        quarantined.reason,
        case
            when quarantined.keeps_key_only
                then {{ pseudonymize_emails("'employee_id=' || quarantined.record_key", 'pseudonym_key.key_text') }}
            else {{ pseudonymize_emails(
                pseudonymize_value('quarantined.raw_text', 'quarantined.tool_identity', 'pseudonym_key.key_text', 'login_'),
                'pseudonym_key.key_text') }}
        end as raw_text,
        quarantined.landing_date,
        case
            when quarantined.keeps_key_only and quarantined.line_number is not null
                then nullif(regexp_extract(quarantined.detail, '^([a-z_]+)(:| is )', 1), '')
            else {{ pseudonymize_emails(
                pseudonymize_value('quarantined.detail', 'quarantined.tool_identity', 'pseudonym_key.key_text', 'login_'),
                'pseudonym_key.key_text') }}
        end as detail,
        quarantined.line_number is null as is_whole_file
    from quarantined
    cross join pseudonym_key

)

select * from redacted
