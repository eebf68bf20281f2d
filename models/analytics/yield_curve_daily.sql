-- The Treasury curve per trading day from the yields' daily bars, and its two slopes, exact:
-- slope_10y_3m = ^TNX - ^IRX and slope_10y_5y = ^TNX - ^FVX (percent points, decimal arithmetic).
with

bars as (
    select * from {{ ref('bars_daily') }}
),

yields as (
    select
        trade_date,
        max(case when symbol = '^IRX' then close end) as irx,
        max(case when symbol = '^FVX' then close end) as fvx,
        max(case when symbol = '^TNX' then close end) as tnx,
        max(case when symbol = '^TYX' then close end) as tyx
    from bars
    where symbol in ('^IRX', '^FVX', '^TNX', '^TYX')
    group by trade_date
),

final as (
    select
        trade_date,
        irx,
        fvx,
        tnx,
        tyx,
        tnx - irx as slope_10y_3m,
        tnx - fvx as slope_10y_5y
    from yields
)

select * from final
