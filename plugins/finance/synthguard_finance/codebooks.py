"""Public domains of the finance reference tables, from their published codebooks: what finance-mst may use
without spending budget (its ``public_domains`` option). Each list is the codebook's, written in the shipped
file's spelling; no count, range or frequency from the data is used.

- german_credit: the UCI Statlog codebook (attributes 1, 3, 4, 6, 7, 9, 10, 12, 14, 15, 17, 19, 20 and the class;
  the codebook's "vacation" purpose and "female: single" status never occur in the file and are left out, in the
  file's spelling of the rest); the four small whole-number codes (installment rate 1–4, residence 1–4, existing
  credits 1–4, people liable 1–2) as their codebook ranges.
- credit_data: the modeldata ``credit_data`` help page's levels (Status, Home, Marital, Records, Job).
- lending_club: the modeldata ``lending_club`` levels: 36/60-month terms, Lending Club's sub-grades A1–G5, the 50
  US states and DC (USPS codes), verification status, employment-length bands and the class.

Usage: ``generate``/``fit`` on one of these reference datasets give finance-mst its codebook by default
(``FinanceMarginalDP.public_config``; ``--set codebook=none`` turns it off); elsewhere
``FinanceMarginalDP(epsilon=1, codebook="german_credit")`` or ``--set codebook=german_credit`` (the same as
``public_domains=@german_credit``). See plugins/finance/README.md, "Differential privacy".
"""

from __future__ import annotations

CODEBOOKS: dict[str, dict[str, dict]] = {
    "german_credit": {'status_of_existing_checking_account': {'categories': ['... < 0 DM',
                                                        '... >= 200 DM / salary assignments for at least 1 year',
                                                        '0 <= ... < 200 DM',
                                                        'no checking account']},
 'credit_history': {'categories': ['all credits at this bank paid back duly',
                                   'critical account/ other credits existing (not at this bank)',
                                   'delay in paying off in the past',
                                   'existing credits paid back duly till now',
                                   'no credits taken/ all credits paid back duly']},
 'purpose': {'categories': ['business',
                            'car (new)',
                            'car (used)',
                            'domestic appliances',
                            'education',
                            'furniture/equipment',
                            'others',
                            'radio/television',
                            'repairs',
                            'retraining']},
 'savings_account_and_bonds': {'categories': ['... < 100 DM',
                                              '... >= 1000 DM',
                                              '100 <= ... < 500 DM',
                                              '500 <= ... < 1000 DM',
                                              'unknown/ no savings account']},
 'present_employment_since': {'categories': ['... < 1 year',
                                             '... >= 7 years',
                                             '1 <= ... < 4 years',
                                             '4 <= ... < 7 years',
                                             'unemployed']},
 'personal_status_and_sex': {'categories': ['female : divorced/separated/married',
                                            'male : divorced/separated',
                                            'male : married/widowed',
                                            'male : single']},
 'other_debtors_or_guarantors': {'categories': ['co-applicant', 'guarantor', 'none']},
 'property': {'categories': ['building society savings agreement/ life insurance',
                             'car or other, not in attribute Savings account/bonds',
                             'real estate',
                             'unknown / no property']},
 'other_installment_plans': {'categories': ['bank', 'none', 'stores']},
 'housing': {'categories': ['for free', 'own', 'rent']},
 'job': {'categories': ['management/ self-employed/ highly qualified employee/ officer',
                        'skilled employee / official',
                        'unemployed/ unskilled - non-resident',
                        'unskilled - resident']},
 'telephone': {'categories': ['none', 'yes, registered under the customers name']},
 'foreign_worker': {'categories': ['no', 'yes']},
 'creditability': {'categories': ['bad', 'good']},
 'installment_rate_in_percentage_of_disposable_income': {'bounds': [1, 4]},
 'present_residence_since': {'bounds': [1, 4]},
 'number_of_existing_credits_at_this_bank': {'bounds': [1, 4]},
 'number_of_people_being_liable_to_provide_maintenance_for': {'bounds': [1, 2]}},
    "credit_data": {
        "Status": {"categories": ["bad", "good"]},
        "Home": {"categories": ["ignore", "other", "owner", "parents", "priv", "rent"]},
        "Marital": {"categories": ["divorced", "married", "separated", "single", "widow"]},
        "Records": {"categories": ["no", "yes"]},
        "Job": {"categories": ["fixed", "freelance", "others", "partime"]},
    },
    "lending_club": {
        "term": {"categories": ["term_36", "term_60"]},
        "sub_grade": {"categories": [f"{g}{i}" for g in "ABCDEFG" for i in range(1, 6)]},
        "addr_state": {"categories": (
            "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE "
            "NH NJ NM NV NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY ").split()},
        "verification_status": {"categories": ["Not_Verified", "Source_Verified", "Verified"]},
        "emp_length": {"categories": ["emp_lt_1", *[f"emp_{i}" for i in range(1, 10)], "emp_ge_10", "emp_unk"]},
        "Class": {"categories": ["bad", "good"]},
    },
}
