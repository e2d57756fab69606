with

source as (

    select * from {{ source('hris', 'roster_snapshots') }}

),

renamed as (

    select
        snapshot_date,
        employee_id,
        work_email,
        lower(trim(work_email)) as work_email_normalized,
        full_name,
        job_family,
        job_level,
        team_id,
        team_name,
        org_name,
        manager_id,
        location,
        employment_status,
        hire_date,
        termination_date,
        annual_salary_usd,
        source_file,
        line_number

    from source

)

select * from renamed
