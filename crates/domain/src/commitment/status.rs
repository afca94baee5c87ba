//! The normalised progress status of a commitment.

string_enum! {
    /// A commitment's progress, normalised from the tracker's free text by
    /// [`CommitmentStatus::from_progress`] so that reports can count it.
    pub enum CommitmentStatus ("commitment status") {
        /// Done ("Completed", "Complete", "Completed and published.").
        Completed = "completed", "Completed";
        /// Under way towards completion ("In progress", "Developing",
        /// "Being delivered … On track", "Due to be published shortly").
        InProgress = "in_progress", "In progress";
        /// A continuing activity with no end point ("Ongoing", "Ongoing and on track").
        Ongoing = "ongoing", "Ongoing";
        /// Not begun yet ("Awaited", "Campaign to launch shortly", "Not started").
        NotStarted = "not_started", "Not started";
        /// The tracker gives no progress for it (an empty cell).
        NotReported = "not_reported", "Not reported";
        /// Progress text that fits none of the above; read the text.
        Other = "other", "Other";
    }
}

impl CommitmentStatus {
    /// Derives the status from a tracker's progress text. The rules, tried
    /// in order on the lower-cased text with runs of spaces collapsed:
    ///
    /// 1. empty → `not_reported`
    /// 2. starts with "complete" → `completed`
    /// 3. starts with "ongoing" → `ongoing`
    /// 4. starts with "in progress", "developing", "being delivered",
    ///    "in delivery", "due to be", "under way" or "underway", or contains
    ///    "on track" → `in_progress`
    /// 5. starts with "not started", "not yet", "awaited", "awaiting" or
    ///    "planned", or contains "to launch" → `not_started`
    /// 6. anything else → `other`
    ///
    /// ```
    /// use grantledger_domain::commitment::CommitmentStatus as S;
    /// assert_eq!(S::from_progress("Completed and published."), S::Completed);
    /// assert_eq!(S::from_progress("Ongoing and on track"), S::Ongoing);
    /// assert_eq!(S::from_progress("Being delivered through NHS Long Term Plan. On track"), S::InProgress);
    /// assert_eq!(S::from_progress("Campaign to launch shortly"), S::NotStarted);
    /// assert_eq!(S::from_progress("  "), S::NotReported);
    /// assert_eq!(S::from_progress("Included in published DCMS and DEFRA plans only"), S::Other);
    /// ```
    #[must_use]
    pub fn from_progress(progress: &str) -> CommitmentStatus {
        let text = progress
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| text.starts_with(p));
        if text.is_empty() {
            CommitmentStatus::NotReported
        } else if starts(&["complete"]) {
            CommitmentStatus::Completed
        } else if starts(&["ongoing"]) {
            CommitmentStatus::Ongoing
        } else if starts(&[
            "in progress",
            "developing",
            "being delivered",
            "in delivery",
            "due to be",
            "under way",
            "underway",
        ]) || text.contains("on track")
        {
            CommitmentStatus::InProgress
        } else if starts(&["not started", "not yet", "awaited", "awaiting", "planned"])
            || text.contains("to launch")
        {
            CommitmentStatus::NotStarted
        } else {
            CommitmentStatus::Other
        }
    }
}
