//! Finding grantees at scale (issue 20), on SQLite and PostgreSQL.
//!
//! Registers `GRANTLEDGER_BENCH_GRANTEES` grantees (default 100,000) in a
//! fresh database (a temporary SQLite file; a temporary schema in the
//! PostgreSQL named by `GRANTLEDGER_TEST_POSTGRES_URL`, default the test
//! database) through `grantees::create_many`, which writes their search
//! keys, runs `ANALYZE` on both, prints the plan of a name search (SQLite
//! `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN ANALYZE`) and times
//! `grantees::list` for searches by name, org id, postcode and local
//! authority: median and best of 20 runs, and how many each found.
//!
//! ```sh
//! cargo bench -p grantledger-store --features testing --bench grantee_search
//! # GRANTLEDGER_BENCH_BACKENDS="sqlite postgresql" (default both)
//! ```

use std::error::Error;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{QueryableByName, RunQueryDsl};
use grantledger_domain::Money;
use grantledger_domain::grantee::{
    DueDiligence, Grantee, KeyRange, LocalAuthority, NameSearch, OrganisationName,
    OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::GranteeId;
use grantledger_domain::org_id::OrgId;
use grantledger_store::common::{Actor, PageRequest};
use grantledger_store::grantees::{self, GranteeFilter};
use grantledger_store::testing::TestDb;
use grantledger_store::{AnyConnection, StoreError};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const WORDS: &[&str] = &[
    "St",
    "Marys",
    "Community",
    "Lunch",
    "Club",
    "Friends",
    "of",
    "Youth",
    "Trust",
    "Hebden",
    "Allotment",
    "Society",
    "Tuesday",
    "Choir",
    "Food",
    "Bank",
    "Park",
    "Hall",
    "Arts",
    "Centre",
    "Bridge",
    "Rovers",
    "Garden",
    "Library",
    "Men's",
    "Shed",
    "&",
    "The",
    "Scouts",
    "Pantry",
];
const AUTHORITIES: &[&str] = &[
    "Leeds",
    "Calderdale",
    "Tameside",
    "North Tyneside",
    "Gateshead",
    "Bristol",
    "Camden",
    "Cardiff",
    "Glasgow City",
    "Belfast",
];

/// The `n`th grantee: a name of three words picked by `n`'s digits in base
/// 30 (so each three-word start occurs 3 or 4 times in 100,000, each
/// first word 3,333 times), with `n` at the end so names are distinct; one
/// in ten has a charity number; ten local authorities, 900 postcodes.
fn grantee(n: usize) -> Result<Grantee> {
    let pick = |k: usize| WORDS.get((n / k) % WORDS.len()).copied().unwrap_or("Club");
    let name = format!("{} {} {} {n}", pick(1), pick(30), pick(900));
    let district = n % 90 + 1;
    Ok(Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse(&name)?,
        org_id: n
            .is_multiple_of(10)
            .then(|| format!("GB-CHC-{}", 1_000_000 + n).parse::<OrgId>())
            .transpose()?,
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::NorthWest,
        local_authority: LocalAuthority::parse(
            AUTHORITIES
                .get((n / 7) % AUTHORITIES.len())
                .copied()
                .unwrap_or("Leeds"),
        )?,
        postcode: Postcode::parse(&format!("LS{district} {}AB", n % 10))?,
        annual_income: Money::from_pence(1_200_000)?,
        due_diligence: DueDiligence::pending(),
    })
}

#[derive(QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of the statement `grantees::list` sends for these conditions
/// (the same shape: keyset order by id, a page and one more).
fn plan(c: &mut AnyConnection, conditions: &str) -> Result<Vec<String>> {
    let sql = |explain: &str| {
        format!("{explain} SELECT id, name FROM grantees WHERE {conditions} ORDER BY id LIMIT 51")
    };
    Ok(match c {
        AnyConnection::Sqlite(c) => diesel::sql_query(sql("EXPLAIN QUERY PLAN"))
            .load::<SqlitePlan>(c)?
            .into_iter()
            .map(|p| p.detail)
            .collect(),
        AnyConnection::Postgresql(c) => diesel::sql_query(sql("EXPLAIN ANALYZE"))
            .load::<PgPlan>(c)?
            .into_iter()
            .map(|p| p.line)
            .collect(),
    })
}

/// `name_key` in each of a name search's ranges, as SQL.
fn in_ranges(ranges: &[KeyRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("(name_key >= '{}' AND name_key < '{}')", r.from, r.to))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn show_plan(db: &TestDb, label: &str, conditions: &str) -> Result<()> {
    let lines = db
        .db
        .read(|c| plan(c, conditions).map_err(|e| StoreError::Migration(e.to_string())))?;
    println!("  plan of {label}: WHERE {conditions}");
    for line in lines {
        println!("    {line}");
    }
    Ok(())
}

fn time(db: &TestDb, label: &str, filter: &GranteeFilter) -> Result<()> {
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let page = db
            .db
            .read(|c| grantees::list(c, filter, PageRequest::new(Some(50), None)))?;
        times.push(started.elapsed());
        found = page.items.len();
    }
    times.sort();
    println!(
        "  {label:<44} median {:>9.3?}  best {:>9.3?}  ({found} on the first page of 50)",
        times.get(10).copied().unwrap_or(Duration::ZERO),
        times.first().copied().unwrap_or(Duration::ZERO),
    );
    Ok(())
}

fn main() -> Result<()> {
    let count: usize = match std::env::var("GRANTLEDGER_BENCH_GRANTEES") {
        Ok(v) => v.parse()?,
        Err(_) => 100_000,
    };
    let backends = std::env::var("GRANTLEDGER_BENCH_BACKENDS")
        .unwrap_or_else(|_| "sqlite postgresql".to_owned());
    for backend in backends.split_whitespace() {
        let db = match backend {
            "sqlite" => TestDb::sqlite(),
            "postgresql" => match TestDb::postgres() {
                Some(db) => db,
                None => continue,
            },
            other => return Err(format!("unknown backend {other}").into()),
        };
        let all: Vec<Grantee> = (0..count).map(grantee).collect::<Result<_>>()?;
        let started = Instant::now();
        let actor = Actor::system("bench");
        for chunk in all.chunks(10_000) {
            db.db
                .write(|c| grantees::create_many(c, chunk, &actor, Utc::now()))?;
        }
        db.db.write(|c| {
            c.batch_execute("ANALYZE")?;
            Ok::<_, StoreError>(())
        })?;
        println!(
            "{backend}: {count} grantees registered in {:.1?}",
            started.elapsed()
        );
        for text in ["st. mary's  community", "the hebden"] {
            let search = NameSearch::parse(text)?;
            show_plan(&db, &format!("name={text:?}"), &in_ranges(&search.ranges()))?;
        }
        show_plan(
            &db,
            "local_authority=\"north tyneside\"",
            "local_authority_key = 'north tyneside'",
        )?;
        let name = |s: &str| -> Result<GranteeFilter> {
            Ok(GranteeFilter {
                name: Some(NameSearch::parse(s)?),
                ..GranteeFilter::default()
            })
        };
        time(
            &db,
            "name=\"st. mary's  community\"",
            &name("st. mary's  community")?,
        )?;
        time(
            &db,
            "name=\"St Marys Community 1830\"",
            &name("St Marys Community 1830")?,
        )?;
        time(
            &db,
            "name=\"the hebden\" (two ranges)",
            &name("the hebden")?,
        )?;
        time(&db, "name=\"s\" (a tenth of all)", &name("s")?)?;
        time(&db, "name=\"st\" (a thirtieth)", &name("st")?)?;
        time(&db, "name=\"zzz\" (none)", &name("zzz")?)?;
        time(
            &db,
            "org_id=GB-CHC-1050000",
            &GranteeFilter {
                org_id: Some("GB-CHC-1050000".parse()?),
                ..GranteeFilter::default()
            },
        )?;
        time(
            &db,
            "postcode=LS7 6AB",
            &GranteeFilter {
                postcode: Some(Postcode::parse("LS7 6AB")?),
                ..GranteeFilter::default()
            },
        )?;
        time(
            &db,
            "local_authority=north tyneside",
            &GranteeFilter {
                local_authority: Some(LocalAuthority::parse("north tyneside")?),
                ..GranteeFilter::default()
            },
        )?;
        time(&db, "name=\"friends\"", &name("friends")?)?;
        time(
            &db,
            "local_authority=leeds",
            &GranteeFilter {
                local_authority: Some(LocalAuthority::parse("leeds")?),
                ..GranteeFilter::default()
            },
        )?;
        time(
            &db,
            "name=\"friends\" & local_authority=leeds",
            &GranteeFilter {
                name: Some(NameSearch::parse("friends")?),
                local_authority: Some(LocalAuthority::parse("leeds")?),
                ..GranteeFilter::default()
            },
        )?;
    }
    Ok(())
}
